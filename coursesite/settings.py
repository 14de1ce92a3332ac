"""Django settings for coursesite, driven by environment variables with safe development defaults."""

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from coursesite.env import envbool, envfloat, envint, envlist

# ModelAdmin[Course], ModelForm[Course] and the like work at run time as the type checker writes them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


VAR_DIR = Path(os.environ.get("COURSESITE_VAR_DIR", BASE_DIR / "var"))
# Off unless asked for: `make demo`, the smoke run and the tests set DEBUG=1 (tests/settings.py).
DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (production): export SECRET_KEY=<a long random string>, "
            "or DEBUG=1 for a development server on this machine only."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long the link in a roster invitation (choose your password) works; a newer invitation ends it sooner.
INVITATION_VALID_DAYS = envint("INVITATION_VALID_DAYS", 7)

INSTALLED_APPS = [
    # First, so that its sign-in and password pages win over the admin's.
    "coursesite",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "assignments",
    "projects",
    "exams",
    "grading",
    "workers",
    "accounts",
    "insight",
    "rubrics",
    "sso",
    "lti",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The course's time zone for every /c/<code>/ page and /api/courses/<code>/ API (coursesite.timezones).
    "coursesite.timezones.CourseTimezoneMiddleware",
    # NotFound, Forbidden and Refused (coursesite.errors) raised by a page become a page that says why.
    "coursesite.errors.ErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out sign-in into the lock-out page (accounts.throttle.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coursesite.urls"
WSGI_APPLICATION = "coursesite.wsgi.application"
AUTH_USER_MODEL = "coursesite.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its account or address is locked out, before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coursesite.context_processors.course_nav",
                "workers.context_processors.grading_health",
            ],
        },
    },
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives there
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,  # a kept connection the database dropped (restart) is replaced, not an error
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a worker beside the web server: wait for the write lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploads (suite zips with hidden data, students' code) are the site's own: not readable by other uids.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
MEDIA_URL = "media/"
STORAGES: dict[str, dict[str, Any]] = {
    # Uploads go through Django's storage API so that workers on other hosts can read them
    # (point this at shared or object storage in production).
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if os.environ.get("COURSESITE_S3_BUCKET"):
    # Object storage (django-storages' S3 backend) for workers on other hosts; the keys come from boto3's usual
    # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Objects are private: files are served by the app after its checks.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["COURSESITE_S3_BUCKET"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_expire": 300,
        },
    }
# Uploads above this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "coursesite <noreply@localhost>")

if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Sign-in throttling (django-axes, for the sign-in page, the admin's and /api/token/ alike): failed attempts
# are counted per account and address, per account (from anywhere) and per address (any account) over a sliding
# window; reaching a limit locks that scope out until COURSESITE_LOGIN_COOLOFF_MINUTES pass without a counted
# failure. Attempts while locked out are refused unchecked and not counted (they do not prolong it).
COURSESITE_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = envint("COURSESITE_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5)
COURSESITE_LOGIN_FAILURES_PER_ACCOUNT = envint("COURSESITE_LOGIN_FAILURES_PER_ACCOUNT", 20)
COURSESITE_LOGIN_FAILURES_PER_ADDRESS = envint("COURSESITE_LOGIN_FAILURES_PER_ADDRESS", 30)
COURSESITE_LOGIN_COOLOFF_MINUTES = envint("COURSESITE_LOGIN_COOLOFF_MINUTES", 15)
# Behind a reverse proxy: the header it sets with the client's address (e.g. X-Forwarded-For) and how many proxies
# append to it; unset, the address is the connection's (REMOTE_ADDR) and no header is trusted.
COURSESITE_CLIENT_IP_HEADER = os.environ.get("COURSESITE_CLIENT_IP_HEADER", "").strip()
COURSESITE_TRUSTED_PROXY_COUNT = max(1, envint("COURSESITE_TRUSTED_PROXY_COUNT", 1))
AXES_HANDLER = "accounts.throttle.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_FAILURE_LIMIT = 1  # SignInThrottle.get_failures counts the scopes at their own limit: one is enough
AXES_COOLOFF_TIME = dt.timedelta(minutes=COURSESITE_LOGIN_COOLOFF_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_VERBOSE = False

# API tokens (accounts.ApiToken): several per user, stored as a hash, revoked when the password changes.
COURSESITE_TOKEN_MAX_AGE_DAYS = envint("COURSESITE_TOKEN_MAX_AGE_DAYS", 180)
COURSESITE_TOKENS_PER_USER = envint("COURSESITE_TOKENS_PER_USER", 20)

REST_FRAMEWORK = {
    # Token first: a refused token (or none) then answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "coursesite.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "coursesite API",
    "DESCRIPTION": "Courses, assignments, submissions, projects, exams and grades.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets are served by the app itself, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: the embedded default needs no server: kombu's SQLAlchemy transport on a SQLite file of its own, which is
# transactional (a message is read whole or not at all; the filesystem transport's readers could see half-written
# files). Set CELERY_BROKER_URL=redis://... for real deployments and the test suite.
_embedded_broker = f"sqlite:///{VAR_DIR / 'broker' / 'broker.sqlite3'}"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", _embedded_broker)
# Redis: serve queues by priority so `rerun` waits behind `cpu`; the visibility timeout outlasts any grading job.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"queue_order_strategy": "priority", "visibility_timeout": 7200}
if CELERY_BROKER_URL == _embedded_broker:
    (VAR_DIR / "broker").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "coursesite.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 20}}  # wait for SQLite's write lock
elif CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE

# /metrics (Prometheus text format) answers only with `Authorization: Bearer <token>`; unset, it is a 404.
METRICS_TOKEN = os.environ.get("COURSESITE_METRICS_TOKEN", "")

# The grading runtimes' Pythons (COURSESITE_RUNTIME_PYTHON, COURSESITE_RUNTIMES) are read by workers/runtimes.py.

# The autograder's knobs. One precedence: workers/conf.py reads only these settings; each setting's default comes
# from its environment variable (COURSESITE_GRADING_*, COURSESITE_GPU_INDEX, COURSESITE_SUITE_CACHE), else the value
# here. A settings override (a settings module, or a test's `settings` fixture) therefore wins over the environment.
GRADING_HEARTBEAT_S = envfloat("COURSESITE_GRADING_HEARTBEAT_S", 5)  # a worker running a job says it is alive
GRADING_STALE_AFTER_S = envfloat("COURSESITE_GRADING_STALE_AFTER_S", 60)  # no heartbeat this long: watchdog takes over
GRADING_RESEND_AFTER_S = envfloat("COURSESITE_GRADING_RESEND_AFTER_S", 10)  # never reached the broker: send again
GRADING_WATCHDOG_EVERY_S = envfloat("COURSESITE_GRADING_WATCHDOG_EVERY_S", 30)
GRADING_MAX_TRIES = envint("COURSESITE_GRADING_MAX_TRIES", 3)
GRADING_RETRY_DELAY_S = envfloat("COURSESITE_GRADING_RETRY_DELAY_S", 5)
GRADING_JOB_TIMEOUT_S = envfloat("COURSESITE_GRADING_JOB_TIMEOUT_S", 3600)
# A re-run that waited this long joins the first runs, at their back: it waits about this much more than they do.
GRADING_PROMOTE_AFTER_S = envfloat("COURSESITE_GRADING_PROMOTE_AFTER_S", 120)
GRADING_WORKER_PULSE_S = envfloat("COURSESITE_GRADING_WORKER_PULSE_S", 10)
GRADING_WORKER_DEAD_AFTER_S = envfloat("COURSESITE_GRADING_WORKER_DEAD_AFTER_S", 60)
GRADING_QUEUE_WARN_AFTER_S = envfloat("COURSESITE_GRADING_QUEUE_WARN_AFTER_S", 900)
GRADING_GPU_INDEX: int | None = envint("COURSESITE_GPU_INDEX", 0)  # the GPU of a `-Q gpu` worker (one job per GPU)
# Unpacked suites by hash; None: VAR_DIR/suite-cache (the worker's own state folder, not a shared /tmp path).
GRADING_SUITE_CACHE = os.environ.get("COURSESITE_SUITE_CACHE") or None

# Single sign-on (OpenID Connect, sso/): off unless OIDC_CLIENT_ID and OIDC_ISSUER (or OIDC_DISCOVERY_URL) are set.
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "sso.oidc.RosterOIDCBackend"]
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL", "")  # default: OIDC_ISSUER/.well-known/openid-configuration
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")  # matched to roster usernames
OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM", "email")
OIDC_DISPLAY_NAME = os.environ.get("OIDC_DISPLAY_NAME", "your university")  # "Sign in with ..."
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
# LTI 1.3 (lti/): the custom launch parameter holding the roster username (Canvas: $Canvas.user.loginId).
LTI_USERNAME_CUSTOM_FIELD = os.environ.get("LTI_USERNAME_CUSTOM_FIELD", "username")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes says "successful login" at INFO on every sign-in; failures and lock-outs are warnings.
    "loggers": {"axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")}},
}
