"""Casebook settings: one module, driven by environment variables (README, "Deploy", lists them all).

DJANGO_DEBUG          "1"/"true" turns debug on (off by default)
DJANGO_SECRET_KEY     required to serve with debug off (wsgi.py refuses to start without it)
DJANGO_ALLOWED_HOSTS  comma-separated; defaults to localhost names (required in production)
DATABASE_URL          defaults to SQLite in db.sqlite3 beside manage.py (PostgreSQL required in production)
DJANGO_MEDIA_ROOT     where uploads live (default: media/ beside manage.py)

Production mode is debug off with DJANGO_SECRET_KEY set: what a served site always is, since wsgi.py refuses
debug off without a key. Tests and management commands without a key run in local mode on a fixed key.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from error


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")

# Without DJANGO_SECRET_KEY, management commands and tests run on a fixed local key;
# the WSGI application (production) refuses to start on it, and check --deploy flags it.
INSECURE_LOCAL_KEY = "django-insecure-local-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or INSECURE_LOCAL_KEY

PRODUCTION = not DEBUG and bool(os.environ.get("DJANGO_SECRET_KEY"))

if PRODUCTION and not os.environ.get("DJANGO_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS (comma-separated host names) to run Casebook in production.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    # Before the admin, so its translated-field widgets take effect there.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    # Locks out repeated failed logins to the admin (its own tables: attempts, lockouts, access log).
    "axes",
    "simple_history",
    "casebook.apps.CasebookConfig",
    "casebook.accounts",
    "casebook.regions",
    "casebook.organizations",
    "casebook.cases",
    "casebook.api",
    "casebook.interchange",
]

MIDDLEWARE = [
    # Outermost: a request id for the logs, and the static 503 page when the database is down.
    "casebook.logs.RequestIdMiddleware",
    "casebook.faults.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the user behind every change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files from what collectstatic gathered (development serves them from the apps' folders).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out client is refused before its password is even checked.
    "casebook.security.LoginThrottlingBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "casebook.urls"
WSGI_APPLICATION = "casebook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if PRODUCTION and not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(
        "Set DATABASE_URL to a PostgreSQL database (postgres://…) to run Casebook in production."
    )


# PostgreSQL session settings. Casebook's queries are short index reads, many at once: JIT compiling pays
# only for long scans (a facet count at 1,000,000 cases costs enough to trigger it and spends more time
# compiling than it saves), and parallel workers take the cores other requests are waiting for. A search for a
# common word hashes the ids of its matches (half a million at 1,000,000 cases): in the default 4 MB that spills
# to disk in 21 batches, in 32 MB it stays in memory (a search's facet panel 1.9 s -> 1.35 s).
postgresql_session = ["-c jit=off", "-c max_parallel_workers_per_gather=0", "-c work_mem=32MB"]


def database(url_variable, default=None):
    """A database from its URL. Persistent connections (checked before each request reuses them, so a database
    that went away and came back is reconnected to by itself); on PostgreSQL a short connect timeout, and the
    statement and lock timeouts gunicorn.conf.py sets for web workers (a locked table answers 503, not a hang)."""
    config = dj_database_url.config(
        env=url_variable,
        default=default,
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60 if PRODUCTION else 0),
        conn_health_checks=True,
    )
    if config.get("ENGINE") == "django.db.backends.postgresql":
        timeouts = [
            f"-c {name}={env_int(variable, 0)}"
            for name, variable in (
                ("statement_timeout", "DJANGO_DB_STATEMENT_TIMEOUT_MS"),
                ("lock_timeout", "DJANGO_DB_LOCK_TIMEOUT_MS"),
            )
            if env_int(variable, 0)
        ]
        # Options given in the URL (?sslmode=require&connect_timeout=10, options=-c jit=on) win over these
        # defaults (the last -c of a setting wins), the timeouts over both.
        given = config.get("OPTIONS", {})
        config["OPTIONS"] = {"connect_timeout": env_int("DJANGO_DB_CONNECT_TIMEOUT", 5), **given}
        options = [*postgresql_session, given.get("options"), *timeouts]
        config["OPTIONS"]["options"] = " ".join(option for option in options if option)
    return config


DATABASES = {"default": database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

# Read replicas: public pages read from the replica, everything else (the admin, writes) uses "default".
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = database("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["casebook.dbrouters.PublicReadsToReplica"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "casebook.dbrouters.PublicReadsMiddleware",
    )

# Facet and case counts are cached under a data version that any change bumps. Gunicorn's workers must
# share that cache, or a worker keeps showing counts another worker (or an import) has made stale: in
# production the cache is Redis (DJANGO_CACHE_URL), or else a folder every process on the host reads.
# The folder suits one host: it is culled by a third at MAX_ENTRIES, looked at once every CULL_EVERY writes
# (casebook.filecache). Several hosts need Redis. Locally one process: memory is enough.
if os.environ.get("DJANGO_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "casebook.rediscache.RedisCache",
            "LOCATION": os.environ["DJANGO_CACHE_URL"],
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "casebook"),
        }
    }
elif PRODUCTION:
    CACHES = {
        "default": {
            "BACKEND": "casebook.filecache.FileCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / ".cache")),
            "OPTIONS": {"MAX_ENTRIES": 20_000, "CULL_EVERY": 100},
        }
    }

AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The language comes from the URL (/zh-hans/…, /en/…); "/" picks one from the browser's preferences.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date and number formats: “24 October 2022”, and thousands separators in both languages.
FORMAT_MODULE_PATH = ["casebook.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Translated content: each registered field has a column per language (title_zh_hans, title_en).
# A field left empty in one language shows the other one, and the templates mark it as such.
MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("zh-hans", "en"), "zh-hans": ("en",), "en": ("zh-hans",)}

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
# In production whitenoise serves what collectstatic gathered, under hashed names cached for a year and
# compressed. Elsewhere plain storage: the manifest storage fails every page until collectstatic has run.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# /media/ answers only what public pages show (casebook.media). Behind nginx, the internal location that sends
# the files once Django has said yes (X-Accel-Redirect, README "Deploy"): "/protected-media/"; empty, Django
# sends them itself.
MEDIA_ACCEL_REDIRECT = os.environ.get("DJANGO_MEDIA_ACCEL_REDIRECT", "")

# The CSV of a listing is written while a gunicorn worker waits (its timeout: 30 s): a file holds at most this
# many cases, some 3 s of writing on a 2-core machine. The whole collection is exported by export_cases.
CASEBOOK_CSV_MAX_ROWS = int(os.environ.get("DJANGO_CSV_MAX_ROWS", "20000"))

# Figures: what an upload may be. Checked before anything is stored.
CASEBOOK_IMAGE_MAX_BYTES = 10 * 1024 * 1024
CASEBOOK_IMAGE_MAX_PIXELS = 40_000_000
CASEBOOK_IMAGE_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]

# Anything larger is refused before Django reads it into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Logs go to stdout: one JSON object per line in production (DJANGO_LOG_FORMAT=json|text), with the request id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "casebook.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "casebook.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": os.environ.get("DJANGO_LOG_FORMAT", "json" if PRODUCTION else "text"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # A forged or unknown Host header (scanners, every day) is answered 400 and appears in the access log;
        # a traceback per request would drown everything else.
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}

# Security. Headers on every response; HTTPS-only settings in production (behind a TLS-terminating proxy).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", PRODUCTION)
# The load balancer's health check may come over plain HTTP: it gets its answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the whole registered domain into browsers for months: only on purpose.
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD")
# The header the proxy sets to say the client used HTTPS, e.g. "X-Forwarded-Proto" (its value must be "https").
if os.environ.get("DJANGO_PROXY_SSL_HEADER"):
    header = os.environ["DJANGO_PROXY_SSL_HEADER"].strip().upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{header}", "https")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# default-src 'self' for everything: no inline script or style, no other origin, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Admin login throttling (django-axes): a client (IP address) that fails this many logins in a row is locked
# out for the cool-off time; a successful login resets its count.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_LOCKOUT_CALLABLE = "casebook.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "casebook.security.client_ip"
# The request header the proxy puts the client's address in (e.g. "X-Real-IP"); unset: the connection's address.
CASEBOOK_CLIENT_IP_HEADER = os.environ.get("DJANGO_CLIENT_IP_HEADER", "")
# Imports uploaded in the admin (casebook.interchange): the largest upload, and the most a .zip may unpack to.
INTERCHANGE_UPLOAD_MAX_BYTES = 200 * 1024 * 1024
INTERCHANGE_UNZIPPED_MAX_BYTES = 1024 * 1024 * 1024
