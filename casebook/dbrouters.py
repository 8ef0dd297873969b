"""Read replicas: public pages read from a PostgreSQL streaming replica, everything else uses the primary.

Enabled by DATABASE_REPLICA_URL (settings.py adds the "replica" database, this router and the middleware).
A request is a public read when it is a GET or HEAD outside the admin from a visitor who is not logged in:
such a request changes nothing and may see data a second or so old (replication lag). Editors, the admin,
forms and anything that writes keep using the primary, so an editor sees a change as soon as it is saved.
"""

import contextvars

from django.conf import settings

REPLICA = "replica"
public_read = contextvars.ContextVar("public_read", default=False)


class PublicReadsToReplica:
    def db_for_read(self, model, **hints):
        return REPLICA if public_read.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema by replication: never migrate it.
        return db != REPLICA


class PublicReadsMiddleware:
    """Marks a public read (see above) for the router; placed after the authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request):
        token = public_read.set(self.is_public_read(request))
        try:
            return self.get_response(request)
        finally:
            public_read.reset(token)

    def is_public_read(self, request):
        if request.method not in ("GET", "HEAD") or request.path.startswith(self.admin_prefix):
            return False
        # A visitor without a session cookie is anonymous without asking the database.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return True
        return not request.user.is_authenticated
