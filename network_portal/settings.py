"""Settings for Network Portal.

Everything is read from environment variables with development-friendly
defaults inline. With no service variables set, the portal runs embedded:
SQLite under var/, a filesystem Celery broker under var/ and console email.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def _config_error(message: str):
    # SystemExit with a string prints one line to stderr instead of a traceback.
    raise SystemExit(f"Configuration error: {message}")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    _config_error(f"{name} must be true or false, not {value!r}.")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        _config_error(f"{name} must be a whole number, not {value!r}.")


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _database_from_url(url: str) -> dict:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        _config_error("DATABASE_URL is not a valid URL.")
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            _config_error("DATABASE_URL must name a database, e.g. postgres://user@host:5432/name.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": _env_int("CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"connect_timeout": 5},
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            _config_error("DATABASE_URL must give a file path, e.g. sqlite:////srv/portal/db.sqlite3.")
        return _sqlite(Path(path))
    _config_error(f"DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite://).")


def _sqlite(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # IMMEDIATE makes every write transaction take the lock up front, so the
        # web, worker and beat processes serialise instead of failing mid-way.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def _check_redis_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        _config_error("REDIS_URL is not a valid URL.")
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        _config_error("REDIS_URL must look like redis://host:6379/0.")
    return url


def _email_from_url(url: str) -> dict:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        _config_error("EMAIL_URL is not a valid URL.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        _config_error(f"EMAIL_URL scheme {parts.scheme!r} is not supported.")
    config = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme == "file":
        config["EMAIL_FILE_PATH"] = unquote(parts.path) or str(VAR_DIR / "mail")
    if parts.scheme in {"smtp", "smtps"}:
        config.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=query.get("tls", "0") in {"1", "true", "yes"},
            EMAIL_TIMEOUT=int(query.get("timeout", "20")),
        )
    return config


# --- Core ------------------------------------------------------------------

DEBUG = _env_bool("DEBUG", False)
DEMO_MODE = _env_bool("DEMO_MODE", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        _config_error("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        _config_error("ALLOWED_HOSTS must be set when DEBUG is off (comma-separated host names).")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "network_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "network_portal",
    "members",
    "meetings",
    "training",
    "resources",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    "network_portal.middleware.PermissionsPolicyMiddleware",
    "network_portal.middleware.SessionLifetimeMiddleware",
    "network_portal.middleware.StaffMfaMiddleware",
]

ROOT_URLCONF = "network_portal.urls"
WSGI_APPLICATION = "network_portal.wsgi.application"

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
                "network_portal.context_processors.site",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {"default": _database_from_url(DATABASE_URL) if DATABASE_URL else _sqlite(VAR_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker and Celery ----------------------------------------------

REDIS_URL = _check_redis_url(os.environ["REDIS_URL"]) if os.environ.get("REDIS_URL") else None

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "np",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Every retry countdown stays far below this, so Redis never redelivers a
    # task that is merely waiting.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = None
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }

CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A publish must fail fast when the broker is down: the outbox sweep covers it.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "network_portal.tasks.outbox_sweep", "schedule": 60.0},
    "scheduled-email-scan": {"task": "network_portal.tasks.scheduled_email_scan", "schedule": 60.0},
    "outbox-purge": {"task": "network_portal.tasks.outbox_purge", "schedule": crontab(hour=3, minute=15)},
}

# --- Email -----------------------------------------------------------------

EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    globals().update(_email_from_url(EMAIL_URL))
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Mentally Healthier Councils Network <noreply@thriveldn.co.uk>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "Info@ThriveLDN.co.uk")
STAFF_NOTIFY_EMAILS = _env_list("STAFF_NOTIFY_EMAILS", CONTACT_EMAIL)
OUTBOX_RETENTION_DAYS = _env_int("OUTBOX_RETENTION_DAYS", 90)
OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 10)

# --- Accounts --------------------------------------------------------------

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "members:account"

ACCOUNT_ADAPTER = "network_portal.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "members:account"
ACCOUNT_EMAIL_CONFIRMATION_ANONYMOUS_REDIRECT_URL = "members:account"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- resources -------------------------------------------------------------

# Uploaded files (resources, meeting papers, case-study attachments) live here
# under generated names: outside STATIC_ROOT and never served by URL directly.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", VAR_DIR / "private"))
UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 25 * 1024 * 1024)
# Set to an nginx `internal` location aliased to PRIVATE_STORAGE_ROOT (e.g.
# "/protected-files/") to let nginx send files after Django checks permission.
PRIVATE_FILES_ACCEL_PREFIX = os.environ.get("PRIVATE_FILES_ACCEL_PREFIX", "")
# Last month's partner-updates digest; the first three days, so a missed run
# is caught up (the dedupe key keeps it to one email per member per month).
CELERY_BEAT_SCHEDULE["resources-monthly-digest"] = {
    "task": "resources.tasks.digest_send_task",
    "schedule": crontab(day_of_month="1-3", hour=8, minute=30),
}

# --- members ---------------------------------------------------------------

ACCOUNT_FORMS = {"signup": "members.forms.SignupForm"}
# Changing the email address replaces the old one once the new one is verified,
# and asks for the password again first.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# How long a councillor has to answer the election-cycle "do you still serve?" email.
MEMBERS_RECONFIRM_DAYS = _env_int("MEMBERS_RECONFIRM_DAYS", 28)
# Contact form: at most this many enquiries per client address per hour.
MEMBERS_CONTACT_RATE_LIMIT = _env_int("MEMBERS_CONTACT_RATE_LIMIT", 5)
MEMBERS_DIRECTORY_PAGE_SIZE = 20
CELERY_BEAT_SCHEDULE["members-reconfirmation-lapse"] = {
    "task": "members.tasks.reconfirmation_lapse_overdue",
    "schedule": crontab(hour=6, minute=0),
}

# --- email outbox ----------------------------------------------------------

# Publishing a send task tries the broker once. The email is already safe in
# PostgreSQL and the sweep sends it, so a request must not sit through kombu's
# reconnect loop (about 6 s per email) while Redis is down.
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "max_retries": 0}
# Keep worker database connections between tasks (Celery would otherwise
# reconnect for every task); network_portal/celery.py closes stale ones instead.
CELERY_DB_REUSE_MAX = 1_000_000

# --- training --------------------------------------------------------------

# The key for the evaluators' pseudonyms (an HMAC of the member id). Keep it
# stable: a new key gives everyone new pseudonyms. When empty, a key derived
# from SECRET_KEY is used, so rotating SECRET_KEY would then change them too.
RESEARCH_PSEUDONYM_KEY = os.environ.get("RESEARCH_PSEUDONYM_KEY", "")

# --- rate limits -----------------------------------------------------------

# POSTs per member (per emailed link when not logged in) in each window of
# the period (s, m, h or d); the next one gets the 429 page and writes nothing.
# Generous for a person, tight for a script. allauth's own limits are above.
RATE_LIMITS = {
    "booking": os.environ.get("RATE_LIMIT_BOOKING", "20/h"),
    "registration": os.environ.get("RATE_LIMIT_REGISTRATION", "20/h"),
    "casestudy": os.environ.get("RATE_LIMIT_CASESTUDY", "10/h"),
    "feedback": os.environ.get("RATE_LIMIT_FEEDBACK", "30/h"),
}

# --- performance -----------------------------------------------------------

# How long the cached figures (headline, coverage map, home page lists) may live.
# Writes that change them drop them at once; this bounds only what changes with
# the clock (a session ending, a meeting starting).
FIGURES_CACHE_SECONDS = int(os.environ.get("FIGURES_CACHE_SECONDS", "300"))
# Browsers, proxies and our own page cache may reuse an anonymous public page
# for this long (network_portal/http_caching.py); 0 turns the page cache off.
PUBLIC_PAGE_MAX_AGE = int(os.environ.get("PUBLIC_PAGE_MAX_AGE", "60"))
# Outermost after SecurityMiddleware's own headers, so it sees every cookie and
# CSRF flag the inner layers set before deciding whether a page is shareable.
MIDDLEWARE.insert(1, "network_portal.http_caching.PublicPageCacheMiddleware")

# --- Internationalisation --------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security --------------------------------------------------------------

# HTTPS defaults on outside development; turn it off only behind a proxy that
# terminates TLS and sets X-Forwarded-Proto, or for local test servers.
HTTPS = _env_bool("HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Sessions end after SESSION_IDLE_TIMEOUT seconds without a request, and in any
# case SESSION_ABSOLUTE_LIFETIME seconds after sign-in
# (network_portal.middleware.SessionLifetimeMiddleware). The cookie lasts no longer.
SESSION_IDLE_TIMEOUT = _env_int("SESSION_IDLE_TIMEOUT", 60 * 60 * 2)
SESSION_ABSOLUTE_LIFETIME = _env_int("SESSION_ABSOLUTE_LIFETIME", 60 * 60 * 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME

# The Django admin lives here; a less obvious path keeps scanners' noise down.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/").strip("/") + "/"

# Staff must use an authenticator app (TOTP) with recovery codes to open the
# admin (network_portal.middleware.StaffMfaMiddleware).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Mentally Healthier Councils Network"
MFA_ADAPTER = "network_portal.adapters.MFAAdapter"
# Accept the code either side of the current 30 s step: phones' clocks drift.
MFA_TOTP_TOLERANCE = 1

# Content-Security-Policy: scripts, styles and fonts from this site only, no
# inline script or style; data: images for Bootstrap's toggler icon and the
# TOTP QR code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The retention job (network_portal.retention, daily): periods in days.
# Outbox rows use OUTBOX_RETENTION_DAYS above.
RETENTION_UNVERIFIED_SIGNUP_DAYS = _env_int("RETENTION_UNVERIFIED_SIGNUP_DAYS", 14)
RETENTION_REJECTED_DAYS = _env_int("RETENTION_REJECTED_DAYS", 30)
RETENTION_DOWNLOAD_DAYS = _env_int("RETENTION_DOWNLOAD_DAYS", 365 * 2)
RETENTION_BOOKING_DAYS = _env_int("RETENTION_BOOKING_DAYS", 365 * 2)
CELERY_BEAT_SCHEDULE["retention-run"] = {
    "task": "network_portal.tasks.retention_run",
    "schedule": crontab(hour=2, minute=40),
}

# --- Logging ---------------------------------------------------------------

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False}},
}
