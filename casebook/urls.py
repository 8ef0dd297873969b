from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from casebook.api.csv_export import cases_csv
from casebook.cases.sitemaps import SITEMAPS
from casebook.health import healthz
from casebook.media import serve_media


def favicon(request):
    # The static address is looked up per request: the hashed name comes from collectstatic's manifest.
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# The admin follows the browser's language (LocaleMiddleware reads Accept-Language); public pages
# take theirs from the address: /zh-hans/cases/, /en/cases/. An address without the prefix ("/",
# "/cases/?region=shaanxi") redirects to the reader's language, keeping its query string.
urlpatterns = [
    # Outside the language prefix: a load balancer's health check asks one fixed address.
    path("healthz", healthz, name="healthz"),
    # Browsers ask for it where a page names no icon (a JSON document, a feed): the pages' own icon.
    path("favicon.ico", favicon, name="favicon"),
    # Uploads, each only while a public page shows it (or to staff); behind nginx, sent by nginx.
    path("media/<path:path>", serve_media, name="media"),
    # Before admin.site.urls, whose catch-all would answer these addresses with a 404.
    path("admin/interchange/", include("casebook.interchange.urls")),
    path("admin/", admin.site.urls),
    # Read-only JSON for programs: not language-prefixed, text comes in every language at once.
    path("api/", include("casebook.api.urls")),
    # One sitemap for both languages: each entry lists its other-language addresses. The index names the
    # pages of every section (the protocol allows 50,000 addresses a file; the cases alone are more).
    path("sitemap.xml", sitemaps.index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        sitemaps.sitemap,
        {"sitemaps": SITEMAPS, "template_name": "cases/sitemap.xml"},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    *i18n_patterns(
        path("", include("casebook.cases.urls")),
        path("about/", TemplateView.as_view(template_name="about.html"), name="about"),
        path("cases.csv", cases_csv, name="cases_csv"),
        prefix_default_language=True,
    ),
]

# A database error outside a view answers the static 503 page; any other error the site's 500 page.
handler500 = "casebook.faults.server_error"

admin.site.site_header = _("Casebook administration")
admin.site.site_title = _("Casebook")
admin.site.index_title = _("Cases and reference data")
