"""Production settings come from the environment alone: check --deploy passes with them and fails without,
the security headers and cookie flags are there, and /healthz says whether the database answers."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connection

ROOT = Path(__file__).resolve().parent.parent

# Nothing listens on port 1: a production process that touched the database would fail.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "casebook.example.org",
    "DATABASE_URL": "postgres://casebook@127.0.0.1:1/casebook",
    "DJANGO_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def run_django(args, env_changes, code=None):
    """manage.py in a fresh process with exactly the Casebook variables given (others from this one removed)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env |= env_changes
    command = [sys.executable, "manage.py", *args] if code is None else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def test_check_deploy_passes_under_production_settings():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_on_local_settings():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], {})
    assert result.returncode != 0
    for expected in ("casebook.E001", "casebook.E002", "casebook.E003", "security.W008", "security.W012"):
        assert expected in result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [("DJANGO_ALLOWED_HOSTS", "Set DJANGO_ALLOWED_HOSTS"), ("DATABASE_URL", "PostgreSQL")],
)
def test_production_refuses_to_start_without_its_required_settings(missing, message):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run_django(["check"], env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_a_sqlite_database():
    result = run_django(["check"], PRODUCTION_ENV | {"DATABASE_URL": "sqlite:///db.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
db = settings.DATABASES["default"]
storage = settings.STORAGES["staticfiles"]["BACKEND"]
# The manifest storage needs collectstatic first (a test of its own would take long): plain storage for the requests.
plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
plain_storage = {**settings.STORAGES, "staticfiles": plain}
override_settings(STORAGES=plain_storage).enable()
client = Client()
login = client.get("/admin/login/", secure=True, headers={"host": "casebook.example.org"})
plain = client.get("/en/about/", headers={"host": "casebook.example.org"})
health = client.get("/healthz", headers={"host": "casebook.example.org"})
cookie = login.cookies["csrftoken"]
print(json.dumps({
    "storage": storage,
    "cache": settings.CACHES["default"]["BACKEND"],
    "conn_max_age": db["CONN_MAX_AGE"],
    "conn_health_checks": db["CONN_HEALTH_CHECKS"],
    "connect_timeout": db["OPTIONS"].get("connect_timeout"),
    "session_cookie": [
        settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE
    ],
    "csrf_cookie": [bool(cookie["secure"]), cookie["samesite"]],
    "login_status": login.status_code,
    "hsts": login.headers.get("Strict-Transport-Security"),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "whitenoise": "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE,
    "health": [health.status_code, health.content.decode()],
}))
"""


@pytest.fixture(scope="module")
def production():
    """What a production process says about itself (its database is never connected to)."""
    result = run_django([], PRODUCTION_ENV | {"DJANGO_SETTINGS_MODULE": "casebook.settings"}, code=PRODUCTION_PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_serves_static_files_hashed_and_compressed_by_whitenoise(production):
    assert production["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert production["whitenoise"]


def test_production_workers_share_one_cache(production):
    # A per-process memory cache would let one worker show counts another worker has made stale.
    assert production["cache"] == "casebook.filecache.FileCache"


CACHE_ROUND_TRIP = """
import sys, django
django.setup()
from django.conf import settings
from django.core.cache import cache
print(settings.CACHES["default"]["BACKEND"])
if sys.argv[1] == "set":
    cache.set("shared", sys.argv[2], timeout=60)
else:
    print(cache.get("shared"))
"""


def redis_answers():
    try:
        import redis

        return redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 (no server, or no client: the test says so and is skipped)
        return False


@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_with_a_cache_url_every_process_shares_one_redis_cache():
    env = PRODUCTION_ENV | {
        "DJANGO_SETTINGS_MODULE": "casebook.settings",
        "DJANGO_CACHE_URL": "redis://127.0.0.1:6379/15",
        "DJANGO_CACHE_PREFIX": f"test-{secrets.token_hex(4)}",
    }
    value = secrets.token_hex(8)
    writer = run_django(
        [], env, code=CACHE_ROUND_TRIP.replace("sys.argv[1]", '"set"').replace("sys.argv[2]", repr(value))
    )
    assert writer.returncode == 0, writer.stderr
    reader = run_django([], env, code=CACHE_ROUND_TRIP.replace("sys.argv[1]", '"get"'))
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.splitlines()[-2:] == ["casebook.rediscache.RedisCache", value]


def test_production_keeps_database_connections_and_checks_them_before_reuse(production):
    assert production["conn_max_age"] == 60
    assert production["conn_health_checks"] is True
    assert production["connect_timeout"] == 5


def test_production_cookies_are_secure_httponly_and_lax(production):
    assert production["session_cookie"] == [True, True, "Lax"]
    assert production["csrf_cookie"] == [True, "Lax"]


def test_production_sends_hsts_over_https_and_redirects_plain_http(production):
    assert production["login_status"] == 200
    assert production["hsts"] == "max-age=31536000; includeSubDomains"
    assert production["plain_status"] == 301
    assert production["plain_location"] == "https://casebook.example.org/en/about/"


def test_production_healthz_over_plain_http_is_answered_not_redirected(production):
    # Its database (port 1) refuses connections: a real connection error, answered within the connect timeout.
    assert production["health"] == [503, "database unavailable\n"]


def test_local_settings_stay_usable_without_a_key():
    # make run and the tests: no key, no HTTPS redirect, plain static storage.
    assert not settings.PRODUCTION
    assert not settings.SECURE_SSL_REDIRECT
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith("StaticFilesStorage")
    assert "whitenoise" not in settings.STORAGES["staticfiles"]["BACKEND"]


@pytest.mark.parametrize("path", ["/en/", "/zh-hans/cases/", "/admin/login/", "/healthz"])
def test_security_headers_on_public_pages_the_admin_and_healthz(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    # default-src governs scripts and styles: no inline ones, nothing from another origin.
    assert "script-src" not in policy and "style-src" not in policy
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) == 32


def test_session_cookie_is_httponly_and_lax(client, admin_user):
    admin_user.set_password("a long enough password")
    admin_user.save()
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.username, "password": "a long enough password"}
    )
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_request_id_from_the_proxy_is_kept_when_it_looks_like_one(client, db):
    assert client.get("/healthz", headers={"x-request-id": "abc123def456"})["X-Request-ID"] == "abc123def456"
    forged = client.get("/healthz", headers={"x-request-id": "a\nforged log line"})["X-Request-ID"]
    assert forged != "a\nforged log line" and len(forged) == 32


def test_healthz_says_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_not_language_prefixed_nor_redirected(client, db):
    assert client.get("/en/healthz").status_code == 404
    assert client.get("/healthz", headers={"accept-language": "zh-hans"}).status_code == 200


def test_healthz_says_503_when_the_database_does_not_answer(client, db):
    refused = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    with mock.patch.object(connection, "ensure_connection", side_effect=refused):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"
    assert "5432" not in response.content.decode()
    assert client.get("/healthz").status_code == 200


def test_json_logs_carry_the_request_id():
    import logging

    from casebook.logs import JsonFormatter, RequestIdFilter, request_id

    record = logging.LogRecord("casebook.test", logging.WARNING, __file__, 1, "Disk %s", ("full",), None)
    record.path = "/en/cases/"
    token = request_id.set("abc123def456")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Disk full"
    assert entry["level"] == "WARNING" and entry["logger"] == "casebook.test"
    assert entry["request_id"] == "abc123def456" and entry["path"] == "/en/cases/"


def test_database_url_options_are_kept_beside_the_timeouts():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(sorted(settings.DATABASES['default']['OPTIONS'].items()))"
    )
    env = {
        "DATABASE_URL": "postgres://casebook@db.internal:5432/casebook?sslmode=require",
        "DJANGO_DB_LOCK_TIMEOUT_MS": "5000",
        "DJANGO_SETTINGS_MODULE": "casebook.settings",
    }
    result = run_django([], env, code=code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "[('connect_timeout', 5), ('options', '-c jit=off -c max_parallel_workers_per_gather=0 -c work_mem=32MB"
        " -c lock_timeout=5000'), ('sslmode', 'require')]"
    )


@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit_or_parallel_workers_unless_the_url_says_otherwise():
    from django.db import connection

    if connection.vendor == "postgresql":  # the test database's own connection has them
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather'),"
                " current_setting('work_mem')"
            )
            assert cursor.fetchone() == ("off", "0", "32MB")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['options'])"
    )
    url = "postgres://casebook@db.internal:5432/casebook?options=-c%20jit%3Don"
    result = run_django([], {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "casebook.settings"}, code=code)
    assert result.returncode == 0, result.stderr
    # PostgreSQL applies the -c options in order: the URL's comes last, so it wins.
    assert result.stdout.strip().splitlines()[-1] == (
        "-c jit=off -c max_parallel_workers_per_gather=0 -c work_mem=32MB -c jit=on"
    )
