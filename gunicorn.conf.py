"""gunicorn settings for Casebook: ``gunicorn -c gunicorn.conf.py`` (README, "Deploy"). Every value can be
overridden by the environment variable named beside it, or on the command line."""

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

wsgi_app = "casebook.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers, one per core plus one. A request spends its time on this host's cores: in Python, and in
# PostgreSQL when it runs beside the site. More workers only share the same cores, and stretch the long requests
# (the faceted listing) behind the short ones: on 2 cores under make load, 3 workers served 333-360 requests a
# second (faceted p95 205-215 ms) where 5 served 325-345 (229-247 ms). With the database on another host, where
# a worker waits on the network, raise it towards 2 per core plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Django and Casebook are imported once, in the master, and each worker is forked from it: a new worker costs a
# fork, not a second of CPU importing Django again. Code changes then need a restart, not a HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# A worker is replaced after this many requests (with jitter, so not all at once): slow leaks never pile up. Each
# new worker compiles its templates and fills its caches again, so not too often: at 2,000, under make load's
# saturation a worker was replaced every 7 seconds.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# Request line and headers: anything larger is refused with 400 before Django sees it.
limit_request_line = 8190
limit_request_fields = 100

# The proxy on this machine (or the addresses in FORWARDED_ALLOW_IPS) may say the client used HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout: the access log as JSON lines, like Django's own (casebook/logs.py), with the request id.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


class JsonAccessLogger(Logger):
    """One JSON object per request; json.dumps escapes whatever a client puts in its path or user agent."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o", "-"),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False))


logger_class = JsonAccessLogger

# Web requests must not wait on the database for ever: a statement or a lock that takes longer fails, and the
# visitor gets the 503 page (casebook/faults.py). Management commands (migrate, imports) have no such limits.
os.environ.setdefault("DJANGO_DB_STATEMENT_TIMEOUT_MS", "30000")
os.environ.setdefault("DJANGO_DB_LOCK_TIMEOUT_MS", "5000")


def pre_fork(server, worker):
    """A worker must not inherit the master's database connections (with preload_app, anything the master read at
    start); each worker opens its own."""
    if server.cfg.preload_app:
        from django.db import connections

        connections.close_all()
