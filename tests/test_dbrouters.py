"""The read-replica router (on with DATABASE_REPLICA_URL): public reads go to the replica, the rest to the primary."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from casebook.cases.models import Case
from casebook.dbrouters import PublicReadsMiddleware, PublicReadsToReplica, public_read


def routed_during(request):
    """Where the router sends a read of a case while the middleware handles ``request``."""
    seen = {}

    def view(request):
        seen["read"] = PublicReadsToReplica().db_for_read(Case)
        seen["write"] = PublicReadsToReplica().db_for_write(Case)
        return HttpResponse()

    PublicReadsMiddleware(view)(request)
    return seen


def anonymous(request):
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return request


def test_an_anonymous_public_get_reads_from_the_replica():
    assert routed_during(RequestFactory().get("/en/cases/")) == {"read": "replica", "write": "default"}


@pytest.mark.parametrize(
    "request_",
    [
        RequestFactory().post("/en/cases/"),
        RequestFactory().get("/admin/cases/case/"),
    ],
    ids=["post", "admin"],
)
def test_writes_and_the_admin_use_the_primary(request_):
    assert routed_during(request_) == {"read": None, "write": "default"}


def test_a_logged_in_visitor_reads_from_the_primary(admin_user):
    request = RequestFactory().get("/en/cases/", headers={"cookie": "sessionid=abc"})
    request.user = admin_user
    assert routed_during(request)["read"] is None
    request = anonymous(RequestFactory().get("/en/cases/", headers={"cookie": "sessionid=expired"}))
    assert routed_during(request)["read"] == "replica"


def test_the_flag_does_not_outlive_its_request():
    routed_during(RequestFactory().get("/en/"))
    assert public_read.get() is False
    assert PublicReadsToReplica().db_for_read(Case) is None


def test_the_replica_is_never_migrated():
    router = PublicReadsToReplica()
    assert router.allow_migrate("replica", "cases") is False
    assert router.allow_migrate("default", "cases") is True


def test_database_replica_url_enables_the_router_and_its_middleware():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env |= {
        "DATABASE_URL": "postgres://casebook@127.0.0.1:5432/casebook",
        "DATABASE_REPLICA_URL": "postgres://casebook@replica.internal:5432/casebook",
        "DJANGO_SETTINGS_MODULE": "casebook.settings",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['replica']['HOST'], s.DATABASES['replica']['CONN_HEALTH_CHECKS'], "
        "s.DATABASES['replica']['TEST']['MIRROR'], s.DATABASE_ROUTERS[0], "
        "s.MIDDLEWARE.index('casebook.dbrouters.PublicReadsMiddleware') "
        "> s.MIDDLEWARE.index('django.contrib.auth.middleware.AuthenticationMiddleware'))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[-5:] == [
        "replica.internal",
        "True",
        "default",
        "casebook.dbrouters.PublicReadsToReplica",
        "True",
    ]
