"""Settings for Network Portal.

Everything is read from environment variables with django-environ, with
development-friendly defaults inline. With no service variables set, the
portal runs embedded: SQLite under var/, a filesystem Celery broker under
var/ and console email.

Each setting is defined once, in the section it belongs to; a bad value stops
start-up with one line, "Configuration error: ...", naming the variable.
"""

import os
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent


class _Env(environ.Env):
    # The short email spellings README documents, beside django-environ's own.
    EMAIL_SCHEMES = {
        **environ.Env.EMAIL_SCHEMES,
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
    }


env = _Env()

# --- Reading the environment -----------------------------------------------
# Thin wrappers over django-environ: an empty variable means its default, and a
# bad value becomes a one-line message naming the variable instead of a traceback.

_truthy = {"1", "true", "yes", "on"}
_falsy = {"0", "false", "no", "off"}


def _config_error(message: str) -> NoReturn:
    # SystemExit with a string prints one line to stderr instead of a traceback.
    raise SystemExit(f"Configuration error: {message}")


def _is_set(name: str) -> bool:
    return bool(env.str(name, default=""))


def _bool(name: str, default: bool) -> bool:
    # django-environ reads any unknown word as False; a typo here must not
    # silently turn HTTPS or DEBUG the wrong way.
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value in _truthy | _falsy:
        return value in _truthy
    _config_error(f"{name} must be true or false, not {env.str(name)!r}.")


def _int(name: str, default: int) -> int:
    if not _is_set(name):
        return default
    try:
        value = env.int(name)
    except ValueError:
        value = -1
    if value < 0:
        _config_error(f"{name} must be a whole number (0 or more), not {env.str(name)!r}.")
    return value


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env.list(name, default=[default]) if item.strip()]


def _required_unless_debug(name: str, value, *, debug_default, debug: bool, hint: str = ""):
    if value:
        return value
    if not debug:
        _config_error(f"{name} must be set when DEBUG is off{hint}.")
    return debug_default


def _database(url: str) -> dict:
    # The value is never echoed back: it may hold a password.
    try:
        config = env.db_url_config(url)
    except ValueError:
        _config_error("DATABASE_URL is not a valid URL.")
    engine = config.get("ENGINE")
    if engine == "django.db.backends.sqlite3":
        if config["NAME"] in {"", ":memory:"}:
            _config_error("DATABASE_URL must give a file path, e.g. sqlite:////srv/portal/db.sqlite3.")
        return _sqlite(Path(config["NAME"]))
    if engine != "django.db.backends.postgresql":
        _config_error(f"DATABASE_URL scheme {urlsplit(url).scheme!r} is not supported (use postgres:// or sqlite://).")
    if not config["NAME"]:
        _config_error("DATABASE_URL must name a database, e.g. postgres://user@host:5432/name.")
    return {
        **config,
        "CONN_MAX_AGE": _int("CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5, **config.get("OPTIONS", {})},
    }


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


def _redis_cache(url: str) -> dict:
    # The same URL is Celery's broker, so only Redis will do.
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
        config = env.cache_url_config(url)
    except (ValueError, ImproperlyConfigured):
        _config_error("REDIS_URL is not a valid URL.")
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        _config_error("REDIS_URL must look like redis://host:6379/0.")
    return {**config, "BACKEND": "network_portal.redis_cache.SharedClientRedisCache", "KEY_PREFIX": "np"}


def _email(url: str) -> dict:
    """django-environ's reading of EMAIL_URL, with the spellings README documents:
    smtps:// is implicit TLS (port 465), ?tls=1 asks for STARTTLS, ?timeout=N
    bounds one SMTP exchange (20 s by default) and file:// takes an absolute path."""
    try:
        config = env.email_url_config(url)
    except (ValueError, ImproperlyConfigured):
        _config_error(
            "EMAIL_URL must look like smtp://user:password@host:587?tls=1, console://, file:///path or locmem://."
        )
    scheme = urlsplit(url).scheme
    options = config.get("OPTIONS", {})
    timeout = options.get("TIMEOUT", 20)
    if not isinstance(timeout, int) or timeout <= 0:
        _config_error(f"EMAIL_URL timeout must be a whole number of seconds, not {timeout!r}.")
    use_ssl = scheme in {"smtps", "smtp+ssl"}
    return {
        "EMAIL_BACKEND": config["EMAIL_BACKEND"],
        "EMAIL_HOST": config["EMAIL_HOST"] or "localhost",
        "EMAIL_PORT": config["EMAIL_PORT"] or (465 if use_ssl else 25),
        "EMAIL_HOST_USER": config["EMAIL_HOST_USER"] or "",
        "EMAIL_HOST_PASSWORD": config["EMAIL_HOST_PASSWORD"] or "",
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_USE_TLS": not use_ssl and (scheme == "smtp+tls" or str(options.get("TLS", "0")).lower() in _truthy),
        "EMAIL_TIMEOUT": timeout,
        "EMAIL_FILE_PATH": unquote(urlsplit(url).path) or str(VAR_DIR / "mail"),
    }


# --- Core ------------------------------------------------------------------

VAR_DIR = Path(env.str("VAR_DIR", default="") or BASE_DIR / "var")
DEBUG = _bool("DEBUG", False)
DEMO_MODE = _bool("DEMO_MODE", False)

# Read directly, not through django-environ: it treats a value starting with
# "$" as the name of another variable, and a generated key may start with "$".
SECRET_KEY = _required_unless_debug(
    "SECRET_KEY",
    os.environ.get("SECRET_KEY", ""),
    debug_default="development-only-insecure-key-do-not-use-in-production",  # noqa: S106 - DEBUG only
    debug=DEBUG,
)
ALLOWED_HOSTS = _required_unless_debug(
    "ALLOWED_HOSTS",
    _list("ALLOWED_HOSTS"),
    debug_default=["localhost", "127.0.0.1", "[::1]"],
    debug=DEBUG,
    hint=" (comma-separated host names)",
)

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "network_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
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
    # Outermost after SecurityMiddleware's own headers, so it sees every cookie
    # and CSRF flag the inner layers set before deciding whether a page is shareable.
    "network_portal.http_caching.PublicPageCacheMiddleware",
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
    "network_portal.middleware.PrivilegedMfaMiddleware",
]

ROOT_URLCONF = "network_portal.urls"
WSGI_APPLICATION = "network_portal.wsgi.application"

# Widgets render through TEMPLATES, so templates/ can give the admin's split
# date/time boxes their labels.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "members.context_processors.membership",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------

DATABASES = {
    "default": _database(env.str("DATABASE_URL")) if _is_set("DATABASE_URL") else _sqlite(VAR_DIR / "db.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker and Celery ----------------------------------------------

REDIS_URL = env.str("REDIS_URL") if _is_set("REDIS_URL") else None
_broker_dir = str(VAR_DIR / "celery" / "broker")

CACHES = {
    "default": _redis_cache(REDIS_URL) if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Publishing a send task tries the broker once. The email is already safe in
    # PostgreSQL and the outbox sweep sends it, so a request must not sit through
    # kombu's reconnect loop (about 6 s per email) while Redis is down.
    "max_retries": 0,
    # Every retry countdown stays far below this, so Redis never redelivers
    # a task that is merely waiting.
    **(
        {"visibility_timeout": 3600}
        if REDIS_URL
        else {
            "data_folder_in": _broker_dir,
            "data_folder_out": _broker_dir,
            "control_folder": str(VAR_DIR / "celery" / "control"),
            "store_processed": False,
        }
    ),
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
# Keep worker database connections between tasks (Celery would otherwise
# reconnect for every task); network_portal/celery.py closes stale ones instead.
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BEAT_SCHEDULE = {
    # One sweep per outbox lane, each on its lane's queue.
    "outbox-sweep-account": {
        "task": "network_portal.tasks.outbox_sweep",
        "schedule": 60.0,
        "kwargs": {"lane": "account"},
        "options": {"queue": "account"},
    },
    "outbox-sweep-bulk": {
        "task": "network_portal.tasks.outbox_sweep",
        "schedule": 60.0,
        "kwargs": {"lane": "bulk"},
        "options": {"queue": "bulk"},
    },
    "scheduled-email-scan": {"task": "network_portal.tasks.scheduled_email_scan", "schedule": 60.0},
    "outbox-purge": {"task": "network_portal.tasks.outbox_purge", "schedule": crontab(hour=3, minute=15)},
    "retention-run": {"task": "network_portal.tasks.retention_run", "schedule": crontab(hour=2, minute=40)},
    "members-reconfirmation-lapse": {
        "task": "members.tasks.reconfirmation_lapse_overdue",
        "schedule": crontab(hour=6, minute=0),
    },
}
# Two outbox lanes, each a queue of its own, bound by its own name: account and
# transactional email ("account": verification, password reset, invitations,
# booking confirmations, waiting-list promotions) never waits behind bulk email
# ("bulk": digests, reminders, surveys, staff messages). Other tasks use the
# default "celery" queue. A worker started without -Q consumes all three.
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("account", "celery", "bulk")]
CELERY_TASK_DEFAULT_QUEUE = "celery"

# --- Email and the outbox --------------------------------------------------

EMAIL_URL = env.str("EMAIL_URL", default="")
_email_settings = _email(EMAIL_URL or "console://")
# EMAIL_BACKEND alone is honoured only when EMAIL_URL is not set.
EMAIL_BACKEND = (
    _email_settings["EMAIL_BACKEND"]
    if EMAIL_URL
    else env.str("EMAIL_BACKEND", default=_email_settings["EMAIL_BACKEND"])
)
EMAIL_HOST = _email_settings["EMAIL_HOST"]
EMAIL_PORT = _email_settings["EMAIL_PORT"]
EMAIL_HOST_USER = _email_settings["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email_settings["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email_settings["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email_settings["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email_settings["EMAIL_TIMEOUT"]
EMAIL_FILE_PATH = _email_settings["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Mentally Healthier Councils Network <noreply@thriveldn.co.uk>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="Info@ThriveLDN.co.uk")
STAFF_NOTIFY_EMAILS = _list("STAFF_NOTIFY_EMAILS", CONTACT_EMAIL)
OUTBOX_RETENTION_DAYS = _int("OUTBOX_RETENTION_DAYS", 90)
OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 10)
# A worker holds the rows it claimed for this long and renews the lease while it
# is alive; when a crashed worker's lease runs out, the sweep (every minute)
# sends its rows. Three SMTP timeouts: a crash delays its emails about a minute.
OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 3 * (EMAIL_TIMEOUT or 20))

# --- Accounts (allauth) and members ----------------------------------------

AUTH_USER_MODEL = "members.User"
# Django's and allauth's backends, each loading the member with the user (members/auth_backends.py).
AUTHENTICATION_BACKENDS = [
    "members.auth_backends.MemberModelBackend",
    "members.auth_backends.MemberAuthenticationBackend",
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
ACCOUNT_FORMS = {"signup": "members.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "members:account"
ACCOUNT_EMAIL_CONFIRMATION_ANONYMOUS_REDIRECT_URL = "members:account"
ACCOUNT_PREVENT_ENUMERATION = True
# allauth counts per client address as network_portal.client_address yields it.
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
# Changing the email address replaces the old one once the new one is verified,
# and asks for the password again first.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# How long a councillor has to answer the election-cycle "do you still serve?" email.
MEMBERS_RECONFIRM_DAYS = _int("MEMBERS_RECONFIRM_DAYS", 28)
# Contact form: at most this many enquiries per client address per hour.
MEMBERS_CONTACT_RATE_LIMIT = _int("MEMBERS_CONTACT_RATE_LIMIT", 5)
MEMBERS_DIRECTORY_PAGE_SIZE = 20

# --- Training --------------------------------------------------------------

# The key for the evaluators' pseudonyms (an HMAC of the member id). Keep it
# stable: a new key gives everyone new pseudonyms. When empty, a key derived
# from SECRET_KEY is used, so rotating SECRET_KEY would then change them too.
# Read directly for the same reason as SECRET_KEY.
RESEARCH_PSEUDONYM_KEY = os.environ.get("RESEARCH_PSEUDONYM_KEY", "")

# --- Rate limits and client addresses --------------------------------------

# POSTs per member (per emailed link when not logged in) in each window of
# the period (s, m, h or d); the next one gets the 429 page and writes nothing.
# Generous for a person, tight for a script. allauth's own limits are above.
RATE_LIMITS = {
    "booking": env.str("RATE_LIMIT_BOOKING", default="20/h"),
    "registration": env.str("RATE_LIMIT_REGISTRATION", default="20/h"),
    "casestudy": env.str("RATE_LIMIT_CASESTUDY", default="10/h"),
    "feedback": env.str("RATE_LIMIT_FEEDBACK", default="30/h"),
}
# How many reverse proxies we run sit in front of the portal, each appending
# the address it saw to X-Forwarded-For. 0: the portal faces clients directly
# and the header is ignored (anyone can write it). See network_portal/client_address.py.
TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)

# --- Performance -----------------------------------------------------------

# How long the cached figures (headline, coverage map, home page lists) may live.
# Writes that change them drop them at once; this bounds only what changes with
# the clock (a session ending, a meeting starting).
FIGURES_CACHE_SECONDS = _int("FIGURES_CACHE_SECONDS", 300)
# Browsers, proxies and our own page cache may reuse an anonymous public page
# for this long (network_portal/http_caching.py); 0 turns the page cache off.
PUBLIC_PAGE_MAX_AGE = _int("PUBLIC_PAGE_MAX_AGE", 60)

# --- Internationalisation --------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# The site's wording for allauth's pages (sentence case, "Log in"): see locale/en_GB.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static files ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG

# --- Files -----------------------------------------------------------------

# Uploaded files (resources, meeting papers, case-study attachments) go to the
# "private" storage under generated names, never served by URL directly
# (network_portal.uploads). "local" is this host's disk under
# PRIVATE_STORAGE_ROOT, outside STATIC_ROOT; "s3" is an S3-compatible bucket,
# which every web host shares: needed as soon as there is more than one.
PRIVATE_STORAGE = env.str("PRIVATE_STORAGE", default="") or "local"
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default="") or VAR_DIR / "private")
UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 25 * 1024 * 1024)
# Local storage only: an nginx `internal` location aliased to PRIVATE_STORAGE_ROOT
# (e.g. "/protected-files/") lets nginx send files after Django checks permission.
PRIVATE_FILES_ACCEL_PREFIX = env.str("PRIVATE_FILES_ACCEL_PREFIX", default="")
# S3 only: 0 streams each download through the portal; more answers the
# permission-checked request with a redirect to a signed URL valid that long.
PRIVATE_FILES_REDIRECT_SECONDS = _int("PRIVATE_FILES_REDIRECT_SECONDS", 0)


def _private_storage() -> dict:
    if PRIVATE_STORAGE == "local":
        if PRIVATE_FILES_REDIRECT_SECONDS:
            _config_error("PRIVATE_FILES_REDIRECT_SECONDS needs PRIVATE_STORAGE=s3.")
        return {"BACKEND": "network_portal.uploads.PrivateFileSystemStorage"}
    if PRIVATE_STORAGE != "s3":
        _config_error(f"PRIVATE_STORAGE must be local or s3, not {PRIVATE_STORAGE!r}.")
    if PRIVATE_FILES_ACCEL_PREFIX:
        _config_error("PRIVATE_FILES_ACCEL_PREFIX works with PRIVATE_STORAGE=local only.")
    if not _is_set("AWS_STORAGE_BUCKET_NAME"):
        _config_error("PRIVATE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            # Empty means AWS itself; set it for MinIO, Ceph, R2 and the like.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty falls back to boto3's own chain (instance or pod role).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            # Objects stay private to the bucket; generated names never collide.
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": PRIVATE_FILES_REDIRECT_SECONDS or 60,
            # A streamed download is buffered in memory up to this, then on disk.
            "max_memory_size": 5 * 1024 * 1024,
        },
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "private": _private_storage(),
}

# --- Security --------------------------------------------------------------

# HTTPS defaults on outside development; turn it off only behind a proxy that
# terminates TLS and sets X-Forwarded-Proto, or for local test servers.
HTTPS = _bool("HTTPS", not DEBUG)
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
SESSION_IDLE_TIMEOUT = _int("SESSION_IDLE_TIMEOUT", 60 * 60 * 2)
SESSION_ABSOLUTE_LIFETIME = _int("SESSION_ABSOLUTE_LIFETIME", 60 * 60 * 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
# Django's database sessions, read with one plain SQL statement (network_portal/sessions.py).
SESSION_ENGINE = "network_portal.sessions"

# The Django admin lives here; a less obvious path keeps scanners' noise down.
ADMIN_PATH = env.str("ADMIN_PATH", default="admin/").strip("/") + "/"

# Privileged accounts (staff, superusers, researchers: network_portal.privileges)
# must pass an authenticator app (TOTP) or recovery code step in the session
# before any privileged page opens (network_portal.middleware.PrivilegedMfaMiddleware).
# They set the app up only through an emailed single-use invitation, valid
# this many hours.
MFA_INVITATION_HOURS = _int("MFA_INVITATION_HOURS", 72)
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

# --- Scheduled email -------------------------------------------------------

# The training feedback survey goes when attendance is marked, however late,
# for sessions that ended at most this many days ago.
TRAINING_SURVEY_MAX_AGE_DAYS = _int("TRAINING_SURVEY_MAX_AGE_DAYS", 90)

# --- Retention -------------------------------------------------------------

# The retention job (network_portal.retention, daily): periods in days.
# Outbox rows use OUTBOX_RETENTION_DAYS above.
RETENTION_UNVERIFIED_SIGNUP_DAYS = _int("RETENTION_UNVERIFIED_SIGNUP_DAYS", 14)
RETENTION_REJECTED_DAYS = _int("RETENTION_REJECTED_DAYS", 30)
RETENTION_DOWNLOAD_DAYS = _int("RETENTION_DOWNLOAD_DAYS", 365 * 2)
RETENTION_BOOKING_DAYS = _int("RETENTION_BOOKING_DAYS", 365 * 2)
RETENTION_ENQUIRY_DAYS = _int("RETENTION_ENQUIRY_DAYS", 365)
# Access needs may be health data: cleared a week after the meeting ends.
RETENTION_ACCESS_NEEDS_DAYS = _int("RETENTION_ACCESS_NEEDS_DAYS", 7)
RETENTION_MEETING_FEEDBACK_DAYS = _int("RETENTION_MEETING_FEEDBACK_DAYS", 365)
RETENTION_AUDIT_DAYS = _int("RETENTION_AUDIT_DAYS", 365 * 2)
RETENTION_INVITATION_DAYS = _int("RETENTION_INVITATION_DAYS", 30)
RETENTION_FORMER_MEMBER_DAYS = _int("RETENTION_FORMER_MEMBER_DAYS", 365)
# Verified applications nobody reviewed: staff are reminded NOTICE days before deletion.
RETENTION_UNREVIEWED_DAYS = _int("RETENTION_UNREVIEWED_DAYS", 90)
RETENTION_UNREVIEWED_NOTICE_DAYS = _int("RETENTION_UNREVIEWED_NOTICE_DAYS", 14)

# --- Logging ---------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False}},
}
