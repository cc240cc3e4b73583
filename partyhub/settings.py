"""PartyHub settings, read from environment variables.

Two modes:

* the **embedded default** (``PARTYHUB_EMBEDDED=true``, set by ``make run`` and ``make test``): SQLite
  under ``var/``, eager Celery tasks, mail to files, a secret key generated once into ``var/``;
* **production** (anything else): every secret comes from the environment and the process refuses to
  start without ``SECRET_KEY``.

Every variable is listed in README.md.
"""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Test runs (pytest imports these settings before any conftest can set a variable) are embedded too.
EMBEDDED = env.bool("PARTYHUB_EMBEDDED", default="pytest" in sys.modules)
VAR_DIR = Path(env.str("PARTYHUB_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=EMBEDDED)


def _embedded_secret_key() -> str:
    """A development key generated once per checkout and kept out of git under var/."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not EMBEDDED:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see README.md), "
            "or set PARTYHUB_EMBEDDED=true for a local development instance."
        )
    SECRET_KEY = _embedded_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if EMBEDDED else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PARTYHUB_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # The admin, with a second factor enforced (partyhub/admin_site.py).
    "partyhub.admin_site.PartyHubAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "partyhub",
    "members",
    "documents",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "partyhub.middleware.LanguageMiddleware",
    "partyhub.middleware.LoginRequiredMiddleware",
    "partyhub.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that a locked-out login answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partyhub.urls"
WSGI_APPLICATION = "partyhub.wsgi.application"
ASGI_APPLICATION = "partyhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partyhub.context_processors.layout",
                "partyhub.context_processors.notifications",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
if EMBEDDED:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db = f"sqlite:///{VAR_DIR / 'partyhub.sqlite3'}"
else:
    _default_db = ""
_db_url = env.str("DATABASE_URL", default="") or _default_db
if not _db_url:
    raise ImproperlyConfigured("DATABASE_URL is not set (see README.md).")
DATABASES = {"default": env.db_url_config(_db_url)}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if EMBEDDED else 60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=EMBEDDED and not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"

# --- Authentication -------------------------------------------------------------------------------
AUTH_USER_MODEL = "partyhub.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = env.int("PARTYHUB_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = env.int("PARTYHUB_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PARTYHUB_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A translated page (registration/locked_out.html) answered with HTTP 429.
AXES_LOCKOUT_CALLABLE = "partyhub.auth_views.lockout_response"
# Behind nginx (docker-compose) the client address arrives in X-Real-IP; trust it only when told to.
PARTYHUB_TRUST_X_REAL_IP = env.bool("PARTYHUB_TRUST_X_REAL_IP", default=False)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_REAL_IP", "REMOTE_ADDR"] if PARTYHUB_TRUST_X_REAL_IP else ["REMOTE_ADDR"]
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "PartyHub"

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
FORMAT_MODULE_PATH = ["partyhub.formats"]  # dd/mm/yyyy and grouped thousands in both languages
LANGUAGE_COOKIE_NAME = "partyhub_language"
#: Official documents (PDFs) are written in Vietnamese whatever the reader's interface language.
PARTYHUB_DOCUMENT_LANGUAGE = "vi"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and private files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Private files never live under a public URL. They are served only by partyhub.files.serve_file.
PRIVATE_FILES_ROOT = Path(env.str("PARTYHUB_PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private")))
PARTYHUB_S3_BUCKET = env.str("PARTYHUB_S3_BUCKET", default="")
_private_storage: dict = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
}
if PARTYHUB_S3_BUCKET:
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PARTYHUB_S3_BUCKET,
            "endpoint_url": env.str("PARTYHUB_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("PARTYHUB_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("PARTYHUB_S3_SECRET_KEY", default="") or None,
            "region_name": env.str("PARTYHUB_S3_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _private_storage,
    "private": _private_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Served through nginx's internal location (X-Accel-Redirect) instead of by Python when set.
PARTYHUB_X_ACCEL_PREFIX = env.str("PARTYHUB_X_ACCEL_PREFIX", default="")
PARTYHUB_UPLOAD_MAX_BYTES = env.int("PARTYHUB_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# Office documents are zip archives: limits checked from the zip directory before anything is decompressed.
PARTYHUB_ARCHIVE_MAX_MEMBERS = env.int("PARTYHUB_ARCHIVE_MAX_MEMBERS", default=5000)
PARTYHUB_ARCHIVE_MAX_UNCOMPRESSED_BYTES = env.int("PARTYHUB_ARCHIVE_MAX_UNCOMPRESSED_BYTES", default=300 * 1024 * 1024)
PARTYHUB_ARCHIVE_MAX_RATIO = env.int("PARTYHUB_ARCHIVE_MAX_RATIO", default=100)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Classified documents -------------------------------------------------------------------------
# By default PartyHub keeps metadata only for every classified document and refuses its files (domain.md §3).
# A deployment on an isolated, approved network may allow files for "Mật" (never for higher levels).
PARTYHUB_ALLOW_SECRET_FILES = env.bool("PARTYHUB_ALLOW_SECRET_FILES", default=False)

# --- Incoming documents: e-mail intake, OCR, signature validation ---------------------------------------------
# The mailbox polled for e-mailed documents: imaps://user:password@host:993/INBOX (empty: no e-mail intake).
PARTYHUB_IMAP_URL = env.str("PARTYHUB_IMAP_URL", default="")
PARTYHUB_IMAP_ORGANIZATION = env.int("PARTYHUB_IMAP_ORGANIZATION", default=0) or None  # default: the only commune
PARTYHUB_IMAP_DONE_MAILBOX = env.str("PARTYHUB_IMAP_DONE_MAILBOX", default="")  # move imported messages there
PARTYHUB_IMAP_POLL_MINUTES = env.int("PARTYHUB_IMAP_POLL_MINUTES", default=5)
# PEM/DER files of the CA certificates trusted for PDF signatures (comma-separated paths).
PARTYHUB_TRUST_ROOTS = env.list("PARTYHUB_TRUST_ROOTS", default=[])
# Tesseract languages for OCR: "vie" alone (vie+eng was measured to lose diacritics in capitals).
PARTYHUB_OCR_LANGUAGES = env.str("PARTYHUB_OCR_LANGUAGES", default="vie")
PARTYHUB_OCR_JOBS = env.int("PARTYHUB_OCR_JOBS", default=1)
PARTYHUB_OCR_TIMEOUT_SECONDS = env.int("PARTYHUB_OCR_TIMEOUT_SECONDS", default=1800)
PARTYHUB_OCR_OUTPUT_TYPE = env.str("PARTYHUB_OCR_OUTPUT_TYPE", default="pdf")  # or "pdfa"
PARTYHUB_OFFICE_TIMEOUT_SECONDS = env.int("PARTYHUB_OFFICE_TIMEOUT_SECONDS", default=120)
# Handlers are reminded this many days before a deadline; the queues show such documents as "due soon".
PARTYHUB_DEADLINE_REMINDER_DAYS = env.int("PARTYHUB_DEADLINE_REMINDER_DAYS", default=2)

# --- Meetings (issue 6) ----------------------------------------------------------------------------
# A delegate's meeting folder stays open this many days after the meeting (unless the meeting sets its own
# closing time); tablets drop their cached copy then too.
PARTYHUB_MEETING_FOLDER_RETENTION_DAYS = env.int("PARTYHUB_MEETING_FOLDER_RETENTION_DAYS", default=7)
# The room's check-in QR code changes this often (seconds); a code scanned in the previous period still works.
PARTYHUB_ROOM_TOKEN_SECONDS = env.int("PARTYHUB_ROOM_TOKEN_SECONDS", default=60)
# A closed meeting's resolution is posted to the members within this many days (domain.md §5); the office is
# warned every day after that until it is.
PARTYHUB_RESOLUTION_POSTING_DAYS = env.int("PARTYHUB_RESOLUTION_POSTING_DAYS", default=2)

# --- Outgoing documents: digital signatures (issue 5) -------------------------------------------------
# RFC 3161 time-stamping authority: with a URL every signature gets a timestamp (PAdES B-T); empty: none (B-B).
PARTYHUB_TSA_URL = env.str("PARTYHUB_TSA_URL", default="")
PARTYHUB_TSA_TIMEOUT_SECONDS = env.int("PARTYHUB_TSA_TIMEOUT_SECONDS", default=10)
# Fetch OCSP responses / CRLs from the CA when signing, to embed them (long-term validation). Off by default:
# a PartyHub without internet access embeds the certificate chain only.
PARTYHUB_SIGNING_FETCH_REVOCATION = env.bool("PARTYHUB_SIGNING_FETCH_REVOCATION", default=False)
# TrueType font of the visible signature stamps (needs Vietnamese glyphs); empty: Liberation Serif.
PARTYHUB_SIGNATURE_FONT = env.str("PARTYHUB_SIGNATURE_FONT", default="")

# --- PDF rendering --------------------------------------------------------------------------------
PARTYHUB_PDF_TIMEOUT_SECONDS = env.int("PARTYHUB_PDF_TIMEOUT_SECONDS", default=60)

# --- Mail -----------------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
elif EMBEDDED:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PartyHub <partyhub@localhost>")
# Seconds before a silent SMTP server counts as an error (the notification task then retries with backoff).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PartyHub API",
    "DESCRIPTION": "Documents, meetings and the member registry of a commune party organization.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One name per choice set of the member registry (fields of several serializers share them).
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "members.models.OrganizationKind",
        "MemberStatusEnum": "members.models.MemberStatus",
        "MemberActivityEnum": "members.models.MemberActivity",
        "StatusEventKindEnum": "members.models.StatusEventKind",
        "AssessmentRatingEnum": "members.models.AssessmentRating",
        # Incoming documents (documents.api).
        "IncomingStatusEnum": "documents.models.IncomingStatus",
        "AssignmentStatusEnum": "documents.models.AssignmentStatus",
        "AssignmentRoleEnum": "documents.models.AssignmentRole",
        # Outgoing documents (documents.api.outgoing).
        "OutgoingStatusEnum": "documents.models.OutgoingStatus",
        "OutgoingSourceEnum": "documents.models.OutgoingSource",
        # Meetings (meetings.api).
        "MeetingKindEnum": "meetings.models.MeetingKind",
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "InviteeKindEnum": "meetings.models.InviteeKind",
        "VoteKindEnum": "meetings.models.VoteKind",
    },
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}
