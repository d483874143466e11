"""Settings, read from the environment (12-factor).

Zero set-up default (what `make run` uses): SQLite, no Redis (jobs run in-process), the local Xero.
Tests and production set DATABASE_URL (PostgreSQL) and REDIS_URL. DJANGO_PRODUCTION=true (what `make serve`
and a deployment set) makes the rest production-correct: see PRODUCTION and "Production: HTTPS" below.
"""

import base64
import hashlib
import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# A deployment (and `make serve`, the same process set on this machine): static files collected and served with
# hashed names, and a secret key and encryption keys of its own required.
PRODUCTION = env_bool("DJANGO_PRODUCTION", default=False)
DEBUG = env_bool("DJANGO_DEBUG", default=False)
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
if PRODUCTION and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_PRODUCTION is set: set DJANGO_SECRET_KEY too (50 or more random characters).")
ALLOWED_HOSTS = [h for h in env("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" + (
    "" if PRODUCTION else ",testserver")).split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "health_check",
    "integrations_core",
    "plugins.stub",
    "xero_plugin",
]
# Dev only: `make bench` / `make chaos` (manage.py bench_sync, chaos_sync) live in tests/bench, which is not a
# shipped package; install that app only where a checkout has it, so a deployment without tests/ still starts.
try:
    if importlib.util.find_spec("tests.bench"):
        INSTALLED_APPS.append("tests.bench")
except ModuleNotFoundError:  # no `tests` package at all
    pass

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's, the API docs'), straight after SecurityMiddleware so they get its headers.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],  # the admin's look (site header, link to the job queues)
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
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # A worker thread keeps its connection for ten minutes: each new one costs PostgreSQL a process, its caches
        # warmed again and the push's statements prepared again (see below).
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "600")),
        # A connection kept between jobs is checked before reuse: a failover or restart must not fail a job.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The push's two statements bind on the server and are prepared when a connection first runs them, with one plan
    # for every run (a generic plan), so PostgreSQL plans each once per connection, not once per push: planning the
    # claim's seven-table join costs it several times what running it does (integrations_core/push_statements.py).
    # Django's own queries bind on the client and are never prepared, so neither setting touches them. "off" behind a
    # PgBouncer: it refuses the `options` startup parameter that sets the plan mode unless `ignore_startup_parameters`
    # names it, and in transaction pooling before 1.21 it cannot keep prepared statements (1.21 and later can, with
    # `max_prepared_statements`).
    _threshold = env("DATABASE_PREPARE_THRESHOLD", "0")
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["prepare_threshold"] = None if _threshold.lower() == "off" else int(_threshold)
    if _options["prepare_threshold"] is not None:
        _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take turns instead of failing: BEGIN IMMEDIATE takes the write lock up front (a deferred
    # transaction that read first cannot wait for it: "database is locked" at once), and waits up to 20 s.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# `manage.py collectstatic` writes here (`make serve` and a deployment's build, before serving).
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
# Whitenoise serves them from the app itself (no web server or CDN needed). In production: what collectstatic
# wrote, compressed and with a content hash in each name (so browsers may cache them for good; the manifest
# maps the names). Elsewhere (`make run`, the tests): straight from each app's static directory, looked up per request,
# so nothing needs collecting.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Production: HTTPS ------------------------------------------------------------------------
# DJANGO_HTTPS (on by default in production): the site is reached over HTTPS, TLS terminated in front of
# gunicorn. Then plain http is redirected, cookies are sent over HTTPS only and browsers are told (HSTS) to use
# nothing else. Behind a proxy on another machine that sets X-Forwarded-Proto, also set gunicorn's
# FORWARDED_ALLOW_IPS to the proxy's address (gunicorn then marks the request secure) or
# DJANGO_SECURE_PROXY_SSL_HEADER=true (only when the proxy always sets or strips that header).
HTTPS = env_bool("DJANGO_HTTPS", default=PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
# Submitting the domain to the browsers' preload list is the domain owner's decision: opt in with
# DJANGO_HSTS_PRELOAD=true (until then `check --deploy` says security.W021 under HTTPS).
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over plain http (`make serve` on 127.0.0.1, `make run`, the tests): the deploy checks that only TLS can
# satisfy are silenced, and only those. Each asks for something that breaks a plain-http site: W004 HSTS
# (SECURE_HSTS_SECONDS: a browser would refuse http://127.0.0.1:PORT for a year), W008 SECURE_SSL_REDIRECT (every
# request redirected to an https:// nothing answers), W012 SESSION_COOKIE_SECURE and W016 CSRF_COOKIE_SECURE
# (the browser would never send the cookies back over http: no admin login, every form refused by CSRF). The
# other deploy checks (DEBUG, SECRET_KEY, ALLOWED_HOSTS, the security middleware's headers, X-Frame-Options)
# still apply and pass. With DJANGO_HTTPS on, nothing is silenced.
SILENCED_SYSTEM_CHECKS = [] if HTTPS else ["security.W004", "security.W008", "security.W012", "security.W016"]

# Logs: one JSON object a line by default (LOG_FORMAT=json), what a log pipeline reads; `make run` sets
# LOG_FORMAT=text for a person at a terminal. Either way each line carries the ids bound around it (invoice,
# sync, attempt, connection, provider, RQ job, Xero's correlation id: integrations_core/log_context.py) and
# is scrubbed of tokens and secrets.
LOG_FORMAT = env("LOG_FORMAT", "json").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "integrations_core.log_context.ContextFilter"}},
    "formatters": {
        "json": {"()": "integrations_core.log_context.JsonFormatter"},
        "text": {"()": "integrations_core.log_context.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"],
                             "formatter": "text" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"rq.worker": {"level": env("RQ_LOG_LEVEL", "WARNING")}},
}

# --- Jobs -------------------------------------------------------------------------------------
# With no REDIS_URL, jobs run in-process (the `make run` default); otherwise through RQ queues.
REDIS_URL = env("REDIS_URL")
INTEGRATIONS_ASYNC_JOBS = bool(REDIS_URL)
_rq_url = REDIS_URL or "redis://127.0.0.1:6379/0"
RQ_QUEUES = {
    name: {"URL": _rq_url, "DEFAULT_TIMEOUT": timeout}
    for name, timeout in (("pushes", 300), ("bulk", 3600), ("maintenance", 900))
}
RQ_SHOW_ADMIN_LINK = True

# The API's rate limits count in the cache: Redis when there is one, so every process shares the counts.
CACHES = {
    # Django's Redis cache, keeping one Redis client per pool (integrations_core/cache.py).
    "default": {"BACKEND": "integrations_core.cache.KeptClientRedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- The storefront API -----------------------------------------------------------------------
# Request limits. A body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes (Django's default, 2.5 MiB: an invoice with a
# few thousand lines fits) is answered 413, on the API and on the Xero webhook; JSON nested deeper than
# API_JSON_MAX_DEPTH arrays/objects (an invoice is 3 deep) is answered 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
API_JSON_MAX_DEPTH = int(env("API_JSON_MAX_DEPTH", "32"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations_core.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations_core.api.permissions.IsSupplierOrSupport"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "integrations_core.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, with the size and nesting limits above (413 / 400 in the error shape).
    "DEFAULT_PARSER_CLASSES": ["integrations_core.api.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        # Actions (re-sync, resolve, connect) per API key or user; reads are not limited here.
        "actions": env("API_ACTIONS_RATE", "60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # No OPTIONS metadata: the schema at /api/schema/ describes every endpoint.
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accounting integrations API",
    "DESCRIPTION": "The storefront's view of each supplier's accounting connections and invoice syncs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from this app (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "SyncStateEnum": "integrations_core.models.sync.SyncState",
        "ConnectionStateEnum": "integrations_core.models.connection.ConnectionState",
        "ResyncRunStateEnum": "integrations_core.models.run.ResyncRunState",
        "LineAmountTypeEnum": "integrations_core.models.invoice.LineAmountType",
        "InvoiceStatusEnum": "integrations_core.models.invoice.InvoiceStatus",
        "TriggerKindEnum": "integrations_core.models.sync.TriggerKind",
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations_core.api.schema.add_error_responses",
    ],
}

# --- Credentials at rest ----------------------------------------------------------------------
# Comma-separated Fernet keys, newest first (MultiFernet: encrypt with the first, decrypt with any),
# so keys rotate without re-encrypting in one go. The development fallback derives one from SECRET_KEY.
# In production the keys must be given: derived from SECRET_KEY, rotating that key would leave every stored
# credential unreadable.
INTEGRATIONS_ENCRYPTION_KEYS = [k.strip() for k in env("INTEGRATIONS_ENCRYPTION_KEYS").split(",") if k.strip()]
if PRODUCTION and not INTEGRATIONS_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("DJANGO_PRODUCTION is set: set INTEGRATIONS_ENCRYPTION_KEYS too (Fernet keys).")
INTEGRATIONS_ENCRYPTION_KEYS = INTEGRATIONS_ENCRYPTION_KEYS or [
    base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# --- The sync engine's retry policy -----------------------------------------------------------
INTEGRATIONS_MAX_ATTEMPTS = int(env("INTEGRATIONS_MAX_ATTEMPTS", "5"))
INTEGRATIONS_RETRY_BASE_SECONDS = float(env("INTEGRATIONS_RETRY_BASE_SECONDS", "30"))
INTEGRATIONS_RETRY_MAX_SECONDS = float(env("INTEGRATIONS_RETRY_MAX_SECONDS", "3600"))
# "Order updated" pushes wait this long so that a burst of edits makes one push of the last version
# (with a push in flight: at most two). Generated and paid invoices push at once.
INTEGRATIONS_COALESCE_SECONDS = float(env("INTEGRATIONS_COALESCE_SECONDS", "2"))
# RQ workers per `integrations_worker` process, each in a thread: pushes overlap while they wait on Xero.
INTEGRATIONS_WORKER_THREADS = int(env("INTEGRATIONS_WORKER_THREADS", "8"))
# A sync still `syncing` after this long has lost its worker; the sweep queues it again.
INTEGRATIONS_STUCK_AFTER_SECONDS = float(env("INTEGRATIONS_STUCK_AFTER_SECONDS", "600"))
# A sync `queued` this long with no push job in RQ (Redis lost its data) is queued again by the sweep.
INTEGRATIONS_QUEUED_STALE_SECONDS = float(env("INTEGRATIONS_QUEUED_STALE_SECONDS", "120"))
INTEGRATIONS_PLATFORM_NAME = env("INTEGRATIONS_PLATFORM_NAME", "Ordermentum")

# --- Xero -------------------------------------------------------------------------------------
# Production points at Xero; `make run` and the tests point these at the local Xero (xero_plugin/sandbox).
XERO_CLIENT_ID = env("XERO_CLIENT_ID")
XERO_CLIENT_SECRET = env("XERO_CLIENT_SECRET")
XERO_WEBHOOK_KEY = env("XERO_WEBHOOK_KEY")
XERO_AUTHORIZE_URL = env("XERO_AUTHORIZE_URL", "https://login.xero.com/identity/connect/authorize")
XERO_TOKEN_URL = env("XERO_TOKEN_URL", "https://identity.xero.com/connect/token")
XERO_REVOCATION_URL = env("XERO_REVOCATION_URL", "https://identity.xero.com/connect/revocation")
XERO_IDENTITY_URL = env("XERO_IDENTITY_URL", "https://api.xero.com")
XERO_ACCOUNTING_URL = env("XERO_ACCOUNTING_URL", "https://api.xero.com/api.xro/2.0")
XERO_REDIRECT_URI = env("XERO_REDIRECT_URI", "http://127.0.0.1:8000/xero/callback/")
# Hosts the connect flow may send the browser back to (the storefront's), besides this service's own.
INTEGRATIONS_RETURN_HOSTS = [h for h in env("INTEGRATIONS_RETURN_HOSTS", "").split(",") if h]
RQ = {"WORKER_CLASS": "integrations_core.worker.IntegrationsWorker"}
# Xero's budget per organisation (calls per minute and per day), shared by every worker.
XERO_MINUTE_LIMIT = int(env("XERO_MINUTE_LIMIT", "60"))
XERO_DAY_LIMIT = int(env("XERO_DAY_LIMIT", "5000"))
# Xero's app-wide minute budget, across every organisation connected to the app (shared by every worker).
XERO_APP_MINUTE_LIMIT = int(env("XERO_APP_MINUTE_LIMIT", "10000"))
# Calls of each organisation's minute kept for live pushes: bulk work (the manual re-sync) takes the rest at most.
XERO_LIVE_SHARE = int(env("XERO_LIVE_SHARE", "10"))
# Calls of each organisation's day kept for live pushes: a re-sync (2,000 calls for 100,000 invoices) takes the rest.
XERO_LIVE_DAY_SHARE = int(env("XERO_LIVE_DAY_SHARE", "1000"))
# The local Xero's clock scale (its `--clock-scale`: a minute passes in 60/scale seconds): the budgets' windows shrink
# by the same factor. Only for benchmarks and tests against the local Xero; 1 against the real Xero.
XERO_CLOCK_SCALE = float(env("XERO_CLOCK_SCALE", "1"))
# Seconds to wait for Xero's answer before the push counts as timed out (and is retried safely).
XERO_READ_TIMEOUT = float(env("XERO_READ_TIMEOUT", "30"))

# --- Operating it -----------------------------------------------------------------------------
# /metrics (Prometheus): a scraper sends `Authorization: Bearer $METRICS_TOKEN`; staff sessions may look too.
# With no token set only staff sessions are let in.
METRICS_TOKEN = env("METRICS_TOKEN")
# The push latency histogram covers the pushes that finished within this many seconds before the scrape.
METRICS_LATENCY_WINDOW_SECONDS = float(env("METRICS_LATENCY_WINDOW_SECONDS", "300"))

# Errors to Sentry, only when SENTRY_DSN is set: unhandled errors of requests and RQ jobs, and ERROR log lines,
# scrubbed of secrets before they leave (integrations_core.error_reports.before_send); no personal data sent.
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    from integrations_core.error_reports import before_send

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), RqIntegration()],
        environment=env("SENTRY_ENVIRONMENT", "production"),
        release=env("SENTRY_RELEASE") or None,
        traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
        before_send=before_send,
    )
