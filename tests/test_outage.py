"""A real database outage, on PostgreSQL: gunicorn with the production settings reaches the database through a
TCP proxy that the test cuts and restores. While it is cut the site answers the static 503 page and /healthz 503;
when it returns, service resumes with no restart. A table locked by another session answers 503 after the lock
timeout instead of hanging. (tests/test_faults.py covers the same in-process, on SQLite too.)"""

import contextlib
import os
import secrets
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpProxy:
    """127.0.0.1:port → target. ``cut()`` drops every open connection and refuses new ones, as a database that
    went away does; ``restore()`` listens again on the same port."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.sockets = set()
        self.listener = None

    def restore(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self.sockets |= {client, upstream}
            threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()

    def pump(self, a, b):
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except OSError:
            return
        finally:
            for end in (a, b):
                end.close()

    def cut(self):
        # shutdown() first: close() alone leaves a listener that another thread is accepting on still open.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for end in list(self.sockets):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        self.sockets.clear()


def get(url, timeout=15):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a loopback test server)
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def site(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…): the production settings require it")
    # Published cases to show: an empty site's listing can be answered from cached counts alone, without a query.
    call_command("load_fixtures", verbosity=0)
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.restore()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env |= {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_CACHE_DIR": str(tmp_path / "cache"),
        "DJANGO_DB_CONNECT_TIMEOUT": "2",
        "DJANGO_DB_LOCK_TIMEOUT_MS": "1000",
        "GUNICORN_WORKERS": "1",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    python = sys.executable
    subprocess.run(  # noqa: S603
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    gunicorn = Path(python).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(gunicorn), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(60):
            try:
                if get(f"{base}/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
        yield base, proxy, db
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        proxy.cut()


def assert_unavailable(response):
    status, headers, body = response
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_the_site_answers_503_while_the_database_is_away_and_resumes_by_itself(site):
    base, proxy, _db = site
    kept = get(f"{base}/en/cases/")
    assert kept[0] == 200

    proxy.cut()
    assert_unavailable(get(f"{base}/en/cases/?sort=title"))  # a page not kept yet needs the database
    assert_unavailable(get(f"{base}/en/"))
    assert get(f"{base}/healthz")[0] == 503
    assert get(f"{base}/en/about/")[0] == 200  # a page that needs no database is still served
    assert get(f"{base}/en/cases/")[2] == kept[2]  # and so is a listing page kept for this data version

    proxy.restore()
    # The very next requests are served: the broken connection was dropped, a new one is opened.
    assert get(f"{base}/healthz")[0] == 200
    assert get(f"{base}/en/cases/?sort=title")[0] == 200
    assert get(f"{base}/en/")[0] == 200


def test_a_locked_table_answers_503_after_the_lock_timeout_not_a_hang(site):
    base, _proxy, db = site
    assert get(f"{base}/en/cases/")[0] == 200
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    ) as locker:
        locker.execute("LOCK TABLE cases_case IN ACCESS EXCLUSIVE MODE")  # held until the block ends
        started = time.monotonic()
        assert_unavailable(get(f"{base}/en/cases/?sort=title"))
        assert time.monotonic() - started < 10
    assert get(f"{base}/en/cases/?sort=title")[0] == 200
