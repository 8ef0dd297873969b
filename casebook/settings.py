"""Casebook settings: one module, driven by environment variables.

DJANGO_DEBUG          "1"/"true" turns debug on (off by default)
DJANGO_SECRET_KEY     required to serve with debug off (wsgi.py refuses to start without it)
DJANGO_ALLOWED_HOSTS  comma-separated; defaults to localhost names
DATABASE_URL          defaults to SQLite in db.sqlite3 beside manage.py
DJANGO_MEDIA_ROOT     where uploads live (default: media/ beside manage.py)
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    "simple_history",
    "casebook.accounts",
    "casebook.regions",
    "casebook.organizations",
    "casebook.cases",
    "casebook.interchange",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the user behind every change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
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
STATIC_ROOT = BASE_DIR / "staticfiles"

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# Figures: what an upload may be. Checked before anything is stored.
CASEBOOK_IMAGE_MAX_BYTES = 10 * 1024 * 1024
CASEBOOK_IMAGE_MAX_PIXELS = 40_000_000
CASEBOOK_IMAGE_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]

# Anything larger is refused before Django reads it into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Imports uploaded in the admin (casebook.interchange): the largest upload, and the most a .zip may unpack to.
INTERCHANGE_UPLOAD_MAX_BYTES = 200 * 1024 * 1024
INTERCHANGE_UNZIPPED_MAX_BYTES = 1024 * 1024 * 1024
