"""Settings shared by every environment. Every value comes from the environment with a safe default."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",  # API tokens: one hashed, expiring token per device (before welfare: its admin replaces knox's)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served locally (no CDN)
    "import_export",
    "django_celery_beat",
    "simple_history",
    "axes",
    "welfare",
    "institutions",
    "cases",
    "benefits",
    "demo",  # seed_demo and the demo command (no models)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "welfare.middleware.RequestSizeLimitMiddleware",
    "welfare.middleware.RejectNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "welfare.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "welfare.middleware.ServiceUnavailableMiddleware",
    # Last: a write and its answer commit together; a 500 rolls the write back.
    "welfare.middleware.AtomicWritesMiddleware",
    # Inside that transaction: a write labelled with a client_uuid is done once (welfare/receipts.py).
    "welfare.middleware.ClientReceiptMiddleware",
]

ROOT_URLCONF = "welfare.urls"
WSGI_APPLICATION = "welfare.wsgi.application"

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
            ],
        },
    },
]

# Embedded default: SQLite beside the code. DATABASE_URL switches to PostgreSQL (psycopg 3).
def prepared_statements(database: dict) -> dict:
    """PostgreSQL: let welfare.batch.execute_batch prepare its statements, once per connection (the
    payout run's statements, sent again for every county: neither parsed nor planned again).
    Django turns psycopg's prepared statements off unless asked (for transaction-mode connection
    poolers); its own queries bind client-side and are never prepared either way, so this concerns
    execute_batch alone. DATABASE_PREPARED_STATEMENTS=false turns it off behind a pooler that
    cannot keep prepared statements."""
    if database["ENGINE"] == "django.db.backends.postgresql" and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        database.setdefault("OPTIONS", {})["prepare_threshold"] = 5  # psycopg's default; execute_batch asks at once
    return database


DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    prepared_statements(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "welfare.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The project's catalogue first, then translations for gaps that installed libraries leave.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Files served at the site's root: /favicon.ico (browsers ask for it on every page, the admin's
# and the API docs' included).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"

# Sessions: idle expiry (renewed on every request).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)

# The client's address (welfare/clientip.py, for the access log, axes and API throttles): how many
# reverse proxies in front of the application add to X-Forwarded-For and are believed. 0 trusts
# no header (the connection's address); behind the production TLS proxy it is 1. More than there
# are lets clients forge their address; fewer gives every client the proxy's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

# django-axes: lock a (user name, address) pair after repeated failures, so wrong passwords from
# one address never lock the user out elsewhere; and refuse an address that failed for
# LOGIN_ADDRESS_USERNAME_LIMIT different user names within the cool-off (welfare/loginguard.py).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_CALLABLE = "welfare.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "welfare.clientip.client_ip"
AXES_HANDLER = "welfare.loginguard.AxesHandler"
LOGIN_ADDRESS_USERNAME_LIMIT = env.int("LOGIN_ADDRESS_USERNAME_LIMIT", default=10)

# Celery: no broker configured means tasks run eagerly in-process (embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://welfare")
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "welfare.cache.RedisCache"  # one client per pool (welfare/cache.py)
# Several deployments (or a benchmark) may share one Redis: each keeps its keys apart.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="")
# The child list API's page cache (cases/children/list_cache.py), in seconds; 0 turns it off. On by
# default only with a cache every process shares (Redis, as in docker-compose.yml): Django's
# local-memory cache is private to one process, so gunicorn workers would not see each other's
# invalidations.
_SHARED_CACHE = "locmem" not in CACHES["default"]["BACKEND"].lower() and "dummy" not in CACHES["default"]["BACKEND"].lower()
CHILD_LIST_CACHE_SECONDS = env.int("CHILD_LIST_CACHE_SECONDS", default=300 if _SHARED_CACHE else 0)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_ENABLED = env.bool("EMAIL_ENABLED", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="welfare@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "welfare.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "welfare.api.exception_handler",
    # JSON nested deeper than API_JSON_MAX_DEPTH is a 400 (welfare/parsers.py), never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "welfare.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DATE_FORMAT": "%Y-%m-%d",
    "COERCE_DECIMAL_TO_STRING": True,
}
# A throttle that does not use welfare.clientip.ClientIpThrottleMixin (every one of the project's
# does) still believes X-Forwarded-For only as far as the trusted proxies.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
# API tokens (django-rest-knox, welfare/tokens.py): one per signed-in device, stored hashed. A token
# lapses after API_TOKEN_IDLE_HOURS without use (each request pushes that back, written at most
# once a minute) and API_TOKEN_MAX_AGE_HOURS after the login at the latest, however much in use.
API_TOKEN_IDLE_HOURS = env.float("API_TOKEN_IDLE_HOURS", default=24)
API_TOKEN_MAX_AGE_HOURS = env.float("API_TOKEN_MAX_AGE_HOURS", default=7 * 24)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_IDLE_HOURS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(hours=API_TOKEN_MAX_AGE_HOURS),
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}
# The deepest nesting of arrays and objects a JSON body may have (the API needs four).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
SPECTACULAR_SETTINGS = {
    "TITLE": "Child welfare case management API",
    "DESCRIPTION": "Children, guardians, recognition, allowances, payouts and checks, scoped to the caller's region.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Docs assets come from the drf-spectacular-sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set (the schema otherwise invents hashed names like Category6f9Enum).
    "ENUM_NAME_OVERRIDES": {
        "CategoryEnum": "cases.children.categories.Category",
        "PaidCategoryEnum": "cases.children.api.PAID_CATEGORY_CHOICES",
        "CheckKindEnum": "cases.checks.models.Check.Kind",
        "InstitutionKindEnum": "institutions.models.Institution.Kind",
        # Protection casework: several choice sets share the field name `status`.
        "CaseReportStatusEnum": "cases.protection.models.CaseReport.Status",
        "CaseStatusEnum": "cases.protection.models.Case.Status",
        "CaseworkReviewStatusEnum": "cases.protection.models.ReviewStatus",
        "PlanMeasureStatusEnum": "cases.protection.models.PlanMeasure.Status",
        "ReferralStatusEnum": "cases.protection.models.Referral.Status",
        # Institutions at work: a care record's domain beside a plan measure's; a finding's
        # severity is the same low/medium/high set as a risk level.
        "CareDomainEnum": "institutions.placements.models.CareRecord.Domain",
        "PlanMeasureDomainEnum": "cases.protection.models.PlanMeasure.Domain",
        "RiskLevelEnum": "cases.checks.models.Check.RiskLevel",
        "GrantKindEnum": "benefits.grants.models.GrantKind",  # the education grant (benefits/grants)
    },
    # The schema and its docs page are for signed-in users only, like every other /api/ URL.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Domain settings.
CHECK_INTERVAL_MONTHS = env.int("CHECK_INTERVAL_MONTHS", default=3)
CHECK_DUE_SOON_DAYS = env.int("CHECK_DUE_SOON_DAYS", default=14)
# The same check (child, date, kind) recorded again by the same user within this many minutes is
# a repeat (a double tap, a retried request): cases.checks.services.check_record answers the first one.
CHECK_REPEAT_WINDOW_MINUTES = env.int("CHECK_REPEAT_WINDOW_MINUTES", default=10)
# The daily check job (cases.tasks.checks_flag_overdue_task), at CHECK_FLAG_HOUR:30 local time.
# Beat's DatabaseScheduler copies CELERY_BEAT_SCHEDULE into django_celery_beat at start.
CHECK_FLAG_HOUR = env.int("CHECK_FLAG_HOUR", default=1)
# Protection casework: follow-ups every 2 weeks (high risk), monthly (medium), every 3 months
# (low); a case plan is reassessed 6 months after it is written unless it says otherwise.
CASE_FOLLOW_UP_HIGH_DAYS = env.int("CASE_FOLLOW_UP_HIGH_DAYS", default=14)
CASE_FOLLOW_UP_MEDIUM_MONTHS = env.int("CASE_FOLLOW_UP_MEDIUM_MONTHS", default=1)
CASE_FOLLOW_UP_LOW_MONTHS = env.int("CASE_FOLLOW_UP_LOW_MONTHS", default=3)
CASE_PLAN_REVIEW_MONTHS = env.int("CASE_PLAN_REVIEW_MONTHS", default=6)
CELERY_BEAT_SCHEDULE = {
    "flag-overdue-checks": {"task": "cases.flag_overdue_checks", "schedule": crontab(hour=CHECK_FLAG_HOUR, minute=30)},
    # Dashboard summary tables for county, city and province pages (the page shows their age).
    "dashboard-snapshots-refresh": {"task": "cases.dashboard_snapshots_refresh", "schedule": crontab(minute=5)},
    # Roster uploads nobody imported within ROSTER_UPLOAD_TTL_MINUTES (cases/roster/tasks.py).
    "roster-uploads-delete-expired": {"task": "cases.roster_uploads_delete_expired", "schedule": crontab(minute=20)},
    # Protection casework: overdue follow-ups, measures, reassessments and reports (cases/protection).
    "casework-flag-overdue": {"task": "cases.casework_flag_overdue", "schedule": crontab(hour=CHECK_FLAG_HOUR, minute=45)},
    # Institutions: inspection findings past their rectification deadline (institutions/inspections).
    "findings-flag-past-deadline": {"task": "institutions.findings_flag_past_deadline", "schedule": crontab(hour=CHECK_FLAG_HOUR, minute=50)},
    # Exactly once: receipts older than CLIENT_RECEIPT_DAYS (welfare/tasks.py).
    "client-receipts-delete-expired": {"task": "welfare.client_receipts_delete_expired", "schedule": crontab(hour=3, minute=10)},
}
# Task modules that autodiscovery (which looks for `tasks.py`) does not find.
CELERY_IMPORTS = ["cases.dashboard.tasks"]
# Exactly once (welfare/receipts.py): the answers to labelled writes are kept this many days.
CLIENT_RECEIPT_DAYS = env.int("CLIENT_RECEIPT_DAYS", default=30)
# The offline web app (cases/sync/): the phone deletes its copy of the village after this many
# days without a successful sync (docs/offline.md).
OFFLINE_MAX_AGE_DAYS = env.int("OFFLINE_MAX_AGE_DAYS", default=7)
APPLICATION_TIME_LIMIT_WORKING_DAYS = env.int("APPLICATION_TIME_LIMIT_WORKING_DAYS", default=10)
ENROLLMENT_START_MONTH_OFFSET = env.int("ENROLLMENT_START_MONTH_OFFSET", default=1)
# The orphan education grant (benefits/grants): the national amount per school year and how it is
# paid where no region sets its own standard, and the highest age (on 1 September) it is paid to.
GRANT_NATIONAL_AMOUNT = env("GRANT_NATIONAL_AMOUNT", default="10000.00")
GRANT_DEFAULT_FREQUENCY = env("GRANT_DEFAULT_FREQUENCY", default="monthly")
GRANT_MAX_AGE = env.int("GRANT_MAX_AGE", default=25)
# Roster import (cases/roster/services.py): larger files are refused whole.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
# A roster file is kept between its trial run and the confirmed import for this long, in the
# database (cases.RosterUpload) where every web node finds it; the beat job above deletes the rest.
ROSTER_UPLOAD_TTL_MINUTES = env.int("ROSTER_UPLOAD_TTL_MINUTES", default=60)
# Lookups of a child by a full identity number (registering, applying by number, searching),
# per user: past the rate they answer 429 (cases/children/lookups.py). "<count>/<second|minute|hour|day>".
ID_LOOKUP_RATE = env("ID_LOOKUP_RATE", default="30/hour")
# Encryption at rest of identity and phone numbers (welfare/crypto.py, docs/SECURITY.md, "Encryption
# at rest"): FIELD_ENCRYPTION_KEY is "<key id>:<32 hex digits>[,<older key id>:<hex>...]" (SM4 keys,
# the current one first), FIELD_INDEX_KEY 64 hex digits (the HMAC-SM3 blind-index key, never rotated
# with the others). The defaults are public local-only keys (embedded default, tests); production
# settings require real ones.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="local1:000102030405060708090a0b0c0d0e0f")
FIELD_INDEX_KEY = env("FIELD_INDEX_KEY", default="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
# rotate_field_key: rows re-encrypted per transaction.
FIELD_ROTATION_BATCH = env.int("FIELD_ROTATION_BATCH", default=2000)
# django-import-export (the admin's export): a safety net behind welfare.exports.spreadsheet_safe,
# which every resource's cells already pass through (cases/children/resources.py SpreadsheetSafeResource).
# The admin's import keeps its file between the dry run and the confirm in the same RosterUpload
# rows (bound to the user, same lifetime), not in a web node's temp directory: docs/roster.md.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "cases.roster.resources.RosterUploadStorage"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Safety net: identity numbers are masked in every log line (code must not log them anyway).
    "filters": {"redact_identity_numbers": {"()": "welfare.security.IdentityNumberRedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_identity_numbers"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
AXES_VERBOSE = False
