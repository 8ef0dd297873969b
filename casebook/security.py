"""Production safety: the client's address for login throttling, and deploy checks of the environment."""

import math
import os

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.core.checks import Error, Tags, register
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request):
    """The client's address: the header the proxy sets (DJANGO_CLIENT_IP_HEADER, e.g. X-Real-IP), else the
    connection's. Behind a proxy without that header every client would share the proxy's address, and one
    attacker would lock everybody out of the admin."""
    header = settings.CASEBOOK_CLIENT_IP_HEADER
    if header:
        value = request.headers.get(header, "").strip()
        if value:
            return value
    return request.META.get("REMOTE_ADDR")


class LoginThrottlingBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins that come with a request (the admin's login form, any HTTP login).
    An authentication without one (the test client's login(), a script) has no client address to throttle: it is
    left to the next backend instead of failing as django-axes' own backend does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: the admin's look, a translated message, 429 Too Many Requests."""
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed logins"),
        "cooloff_minutes": math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }
    return render(request, "admin/lockout.html", context, status=429)


@register(Tags.security, deploy=True)
def check_production_environment(app_configs, **kwargs):
    """``check --deploy`` fails unless the environment describes a production site (README, "Deploy")."""
    errors = []
    if not os.environ.get("DJANGO_SECRET_KEY"):
        errors.append(Error("DJANGO_SECRET_KEY is not set.", id="casebook.E001"))
    if not os.environ.get("DJANGO_ALLOWED_HOSTS"):
        errors.append(Error("DJANGO_ALLOWED_HOSTS is not set.", id="casebook.E002"))
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        errors.append(Error("DATABASE_URL does not name a PostgreSQL database.", id="casebook.E003"))
    if settings.SECURE_SSL_REDIRECT and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        errors.append(
            Error(
                "DJANGO_PROXY_SSL_HEADER is not set: behind a TLS-terminating proxy every request would be "
                "redirected to HTTPS forever.",
                hint="Set it to the header your proxy sets, e.g. X-Forwarded-Proto.",
                id="casebook.E004",
            )
        )
    return errors
