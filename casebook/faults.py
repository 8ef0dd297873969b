"""When the database is down or locked: a static 503 page that needs no database, and service resumes by itself.

A database error raised by a view (or while its template renders) reaches DatabaseUnavailableMiddleware; one
raised elsewhere (a middleware: sessions, authentication) reaches Django's 500 handler, ``server_error`` here.
Both answer the static page templates/503.html with Retry-After. Nothing else is needed to recover: connections
are checked before reuse (CONN_HEALTH_CHECKS) and one that failed is closed at the end of its request, so the
first request after the database returns reconnects.
"""

import functools
import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.views import defaults

logger = logging.getLogger("casebook.faults")

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


@functools.cache
def unavailable_page():
    return (settings.BASE_DIR / "templates" / "503.html").read_bytes()


def unavailable_response():
    response = HttpResponse(unavailable_page(), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def database_unavailable(request, error):
    # A warning, not an error with a traceback per request: the outage is one event, its cause is the message.
    logger.warning(
        "Database unavailable, answering 503: %s",
        str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
        extra={"path": request.path, "error_class": type(error).__name__},
    )
    return unavailable_response()


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: the static 503 page for a database error raised outside a view, else the site's 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    return defaults.server_error(request, template_name)
