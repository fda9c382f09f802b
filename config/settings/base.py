"""Settings shared by every environment; each value that varies comes from the environment.

See README "Configuration" for the variables. Readers in ``config.env`` reject
malformed values instead of guessing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_choice, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("LUOSHI_DATA_DIR", str(BASE_DIR / "var")))
# The district boundaries of the 五色图 (units.boundaries): installed by ``manage.py fetch_boundaries``, not in git.
BOUNDARIES_DIR = Path(env_str("LUOSHI_BOUNDARIES_DIR", str(BASE_DIR / "var" / "geo")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-do-not-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "viewflow",
    "viewflow.workflow",
    "units",
    "tasks",
    "workflow",
    "evaluation",
    "notifications",
    "accounts",
    "axes",
]

# We drive viewflow headless through workflow.services; its own Site UI and middleware stay off.
VIEWFLOW = {"AUTOREGISTER": False}

MIDDLEWARE = [
    "config.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the view into the answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every response (config/csp.py; the same setting as Django 6.0's). Nothing of ours
# is inline, so no 'unsafe-inline' and no nonces; Swagger UI is served from drf-spectacular-sidecar.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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


def _database(url: str | None) -> dict:
    """SQLite file under DATA_DIR by default; DATABASE_URL selects PostgreSQL (or another SQLite file)."""
    if url is None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "luoshi.sqlite3")}
    else:
        try:
            config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0))
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Parallel workflow branches need writers to queue, not fail (see shared/VIEWFLOW.md).
        config.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    elif config["ENGINE"] not in ("django.db.backends.postgresql",):
        raise ImproperlyConfigured(f"Unsupported database engine {config['ENGINE']!r}: use PostgreSQL or SQLite.")
    return config


DATABASES = {"default": _database(env_str("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django's hook after every password change, which ends the user's API tokens.
    {"NAME": "accounts.validators.RevokeTokensOnPasswordChange"},
]
# django-axes first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # leaders to the map, everyone else home
LOGOUT_REDIRECT_URL = "login"

# Brute-force defence (accounts.lockout has the reasons). Behind a reverse proxy, set LUOSHI_TRUSTED_PROXIES to the
# number of proxies that append to X-Forwarded-For; with 0 the header is ignored (a client could forge it).
TRUSTED_PROXIES = env_int("LUOSHI_TRUSTED_PROXIES", 0, minimum=0)
AXES_FAILURE_LIMIT = env_int("LUOSHI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LUOSHI_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    # Token first, so an anonymous API request gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One error body for every endpoint; views never override get_exception_handler.
    "EXCEPTION_HANDLER": "tasks.api.errors.exception_handler",
    # Anonymous callers reach only the token endpoint, which adds the stricter "login" scope (accounts.lockout).
    # The counts live in the default cache: per process with the local-memory cache.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("LUOSHI_API_ANON_RATE", "60/min"),
        "login": env_rate("LUOSHI_LOGIN_RATE", "30/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "config.csp.BrowsableAPIRenderer",  # DRF's, under a policy that allows its inline styles
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Luoshi (落实) API",
    "DESCRIPTION": "Plan register, reporting rounds and evaluation of government action plans.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar, pinned), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {"id": int},  # tasks.converters: ids in paths
}

# Celery: Redis when REDIS_URL is set; otherwise a filesystem transport that needs no server
# (embedded demo). Jobs are enqueued on commit; long delays live in the database.
REDIS_URL = env_str("REDIS_URL")
# A job is acknowledged when it ends (acks_late): on Redis, a message taken by a worker that died is delivered again
# after this many seconds: well beyond the longest job (opening a round of 3,000 tasks took 18 s on PostgreSQL on a
# loaded 2-core machine), so a job still running is not started twice; the round-opening sweep does not wait for it.
BROKER_VISIBILITY_TIMEOUT = env_int("LUOSHI_BROKER_VISIBILITY_TIMEOUT", 600, minimum=1)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
else:
    _broker_dir = DATA_DIR / "broker"
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Round opening heals itself: every ROUND_OPEN_SWEEP_SECONDS the beat queues again each round still opening whose
# progress has not moved for ROUND_OPEN_STALL_SECONDS (its job was never queued, or died with its worker).
# The database scheduler installs this entry when beat starts.
ROUND_OPEN_SWEEP_SECONDS = env_int("LUOSHI_ROUND_OPEN_SWEEP_SECONDS", 60, minimum=1)
ROUND_OPEN_STALL_SECONDS = env_int("LUOSHI_ROUND_OPEN_STALL_SECONDS", 300, minimum=1)

# An evaluation's compute job lost the same way (broker down when it was started, worker gone) is queued again by the
# beat once it has been computing for EVALUATION_STALL_SECONDS (evaluation.compute_sweep, every minute).
EVALUATION_STALL_SECONDS = env_int("LUOSHI_EVALUATION_STALL_SECONDS", 300, minimum=1)
# A round closes by itself ROUND_CLOSE_GRACE_WORKING_DAYS working days after its due date (supervisors may close
# one earlier by hand): the sweep runs hourly.
ROUND_CLOSE_GRACE_WORKING_DAYS = env_int("LUOSHI_ROUND_CLOSE_GRACE_WORKING_DAYS", 0, minimum=0)
# The stored task lights (``evaluation.lights``): computed daily at 00:10 Asia/Shanghai for every non-draft plan; a
# day missed (no worker) is computed by the next run, at most LIGHTS_CATCH_UP_DAYS back, or when first asked for.
LIGHTS_CATCH_UP_DAYS = env_int("LUOSHI_LIGHTS_CATCH_UP_DAYS", 7, minimum=0)
# Reminders (notifications.sweep): every REMINDER_SWEEP_SECONDS the beat plans the watches that are due and delivers
# what they wrote; every REMINDER_RECONCILE_SECONDS it watches open items that no signal brought in.
REMINDER_SWEEP_SECONDS = env_int("LUOSHI_REMINDER_SWEEP_SECONDS", 60, minimum=1)
REMINDER_RECONCILE_SECONDS = env_int("LUOSHI_REMINDER_RECONCILE_SECONDS", 900, minimum=1)
# When more than one batch of watches is due, the sweep job starts up to this many helper jobs on other workers to
# sweep beside it (PostgreSQL: SKIP LOCKED gives each its own batches; SQLite has one writer, so none there).
REMINDER_SWEEP_HELPERS = env_int("LUOSHI_REMINDER_SWEEP_HELPERS", 1, minimum=0)
# Delivery beyond in-app (notifications.channels). SITE_URL makes the messages' links absolute.
SITE_URL = env_str("LUOSHI_SITE_URL", "http://127.0.0.1:8000")
# E-mail: SMTP with these settings (a file backend in the demo when no host is given, memory in tests).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("LUOSHI_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("LUOSHI_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("LUOSHI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("LUOSHI_EMAIL_PASSWORD", "")
_email_security = env_choice("LUOSHI_EMAIL_SECURITY", "none", ("none", "starttls", "ssl"))
EMAIL_USE_TLS = _email_security == "starttls"
EMAIL_USE_SSL = _email_security == "ssl"
EMAIL_TIMEOUT = env_int("LUOSHI_EMAIL_TIMEOUT_SECONDS", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("LUOSHI_EMAIL_FROM", "luoshi@localhost")
# Webhooks and group robots: seconds before a POST counts as failed (and is retried).
WEBHOOK_TIMEOUT_SECONDS = env_int("LUOSHI_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# The delivery stage's lease (notifications.outbox): a claimed delivery whose worker died is tried again once it ends,
# with the same idempotency key. A batch sends for half the lease at most, and its last send may take a channel's
# whole timeout, so a lease of twice the longest timeout or less would let a second worker send what is still in
# flight: refused.
DELIVERY_LEASE_SECONDS = env_int("LUOSHI_DELIVERY_LEASE_SECONDS", 600, minimum=1)
_LONGEST_SEND_SECONDS = max(WEBHOOK_TIMEOUT_SECONDS, EMAIL_TIMEOUT)
if DELIVERY_LEASE_SECONDS <= 2 * _LONGEST_SEND_SECONDS:
    raise ImproperlyConfigured(
        f"LUOSHI_DELIVERY_LEASE_SECONDS={DELIVERY_LEASE_SECONDS} must be more than twice the longest channel "
        f"timeout ({_LONGEST_SEND_SECONDS} s: LUOSHI_WEBHOOK_TIMEOUT_SECONDS, LUOSHI_EMAIL_TIMEOUT_SECONDS).")
# SMS: a dotted path to a gateway class (notifications.channels.sms.Gateway); the default only logs.
SMS_GATEWAY = env_str("LUOSHI_SMS_GATEWAY", "notifications.channels.sms.LoggingGateway")
CELERY_BEAT_SCHEDULE = {
    "evaluation.lights_daily": {
        "task": "evaluation.lights_daily",
        "schedule": crontab(hour=0, minute=10),  # CELERY_TIMEZONE: Asia/Shanghai
    },
    "workflow.round_close_sweep": {
        "task": "workflow.round_close_sweep",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    "evaluation.compute_sweep": {
        "task": "evaluation.compute_sweep",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "workflow.round_open_sweep": {
        "task": "workflow.round_open_sweep",
        "schedule": float(ROUND_OPEN_SWEEP_SECONDS),
        # Sweeps that piled up while no worker ran are dropped: the next one does the same work.
        "options": {"expires": float(ROUND_OPEN_SWEEP_SECONDS)},
    },
    "notifications.sweep": {
        "task": "notifications.sweep",
        "schedule": float(REMINDER_SWEEP_SECONDS),
        # Sweeps that piled up while no worker ran are dropped: the next one catches up (current occasions only).
        "options": {"expires": float(REMINDER_SWEEP_SECONDS)},
    },
    "notifications.digest_daily": {
        "task": "notifications.digest_daily",
        "schedule": crontab(hour=8, minute=30),  # CELERY_TIMEZONE: Asia/Shanghai
        "options": {"expires": 3600.0},
    },
    "notifications.briefing_weekly": {
        "task": "notifications.briefing_weekly",
        "schedule": crontab(hour=8, minute=30, day_of_week=1),  # Mondays, Asia/Shanghai
        "options": {"expires": 3600.0},
    },
    "notifications.watch_reconcile": {
        "task": "notifications.watch_reconcile",
        "schedule": float(REMINDER_RECONCILE_SECONDS),
        "options": {"expires": float(REMINDER_RECONCILE_SECONDS)},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
