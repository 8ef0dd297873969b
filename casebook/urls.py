from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from casebook.cases.sitemaps import SITEMAPS

# The admin follows the browser's language (LocaleMiddleware reads Accept-Language); public pages
# take theirs from the address: /zh-hans/cases/, /en/cases/. An address without the prefix ("/",
# "/cases/?region=shaanxi") redirects to the reader's language, keeping its query string.
urlpatterns = [
    path("admin/", admin.site.urls),
    # One sitemap for both languages: each entry lists its other-language addresses.
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    *i18n_patterns(
        path("", include("casebook.cases.urls")),
        path("about/", TemplateView.as_view(template_name="about.html"), name="about"),
        prefix_default_language=True,
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

admin.site.site_header = _("Casebook administration")
admin.site.site_title = _("Casebook")
admin.site.index_title = _("Cases and reference data")
