"""Django settings. Everything a deployment changes comes from the environment.

DATABASE_URL selects the database (default: SQLite in WAL mode under KEFU_DATA_DIR).
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KEFU_DATA_DIR", BASE_DIR.parent / "var"))

SECRET_KEY = os.environ.get("KEFU_SECRET_KEY", "kefu-insecure-development-key-change-me-in-production")
DEBUG = os.environ.get("KEFU_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("KEFU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "kefu.core",
    "kefu.customers",
    "kefu.contact",
    "kefu.workforce",
    "kefu.workorders",
    "kefu.keyaccounts",
    "kefu.groups",
    "kefu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kefu.core.middleware.LazyMessageMiddleware",
    "kefu.core.middleware.RefuseNulTextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kefu.core.middleware.JsonApiErrorsMiddleware",
]

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"
ASGI_APPLICATION = "kefu.asgi.application"

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
                "django.template.context_processors.i18n",
                "kefu.core.navigation.navigation",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict:
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kefu.sqlite3",
            "OPTIONS": {
                # WAL lets readers go on while one writer commits; IMMEDIATE avoids lock upgrades
                # that would otherwise fail with "database is locked" under concurrent writes.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("KEFU_CONN_MAX_AGE", "60")))
    if os.environ.get("KEFU_PREPARED_STATEMENTS") == "1" and config["ENGINE"].endswith("postgresql"):
        # Under `kefu serve` each thread keeps its connection (kefu.core.threads). Parameters bound by the
        # server and prepared statements (psycopg prepares what a connection has run twice): PostgreSQL plans
        # a hot query once per connection instead of once per request — a screen pop's seven statements cost
        # 1.2 ms of PostgreSQL CPU instead of 2.9 ms (docs/performance.md).
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("server_side_binding", True)
        config["OPTIONS"].setdefault("prepare_threshold", 2)
    # Concurrent test runs on one server each name their own test database.
    config["TEST"] = {"NAME": os.environ.get("KEFU_TEST_DB", "test_kefu")}
    return config


DATABASES = {"default": _database_from_url(os.environ.get("DATABASE_URL", ""))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "customers:search"
LOGOUT_REDIRECT_URL = "core:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_AGE = int(os.environ.get("KEFU_SESSION_SECONDS", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = os.environ.get("KEFU_HTTPS", "") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"kefu": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "INFO")}},
}
WHITENOISE_USE_FINDERS = True
AUTHENTICATION_BACKENDS = ["kefu.core.backends.StaffBackend"]

# Real time (Django Channels: desktops, wallboards) and the contact-centre router (docs/contact-centre.md).
# With REDIS_URL: the Redis channel layer (every web worker reaches every WebSocket) and `kefu router`
# processes over Redis Streams; without: the in-memory layer and the router embedded in the one web process.
REDIS_URL = os.environ.get("REDIS_URL", "")
KEFU_ROUTER = os.environ.get("KEFU_ROUTER", "redis" if REDIS_URL else "embedded")
KEFU_ROUTER_TIMER = os.environ.get("KEFU_ROUTER_TIMER", "1") == "1"
if REDIS_URL:
    # redis-py 8 reads with a 5 s socket timeout by default, which breaks the layer's blocking receive
    # (django/channels_redis#422): no timeout on the layer's connections.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
