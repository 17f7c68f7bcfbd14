"""Settings for Pass, all read from the environment (see README.md for the table).

Zero configuration runs locally on SQLite under var/ against the bundled Clopos simulator.
Bad values fail at start-up with ImproperlyConfigured naming the setting.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from dashboard.env import (
    database_from_url,
    envbool,
    envfloat,
    envint,
    envlist,
    envstr,
    load_dotenv,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("PASS_VAR_DIR", str(BASE_DIR / "var")))

if not envbool("PASS_IGNORE_DOTENV", False):
    load_dotenv(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------------------------
DEBUG = envbool("DJANGO_DEBUG", True)
SECRET_KEY = envstr("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0 (make run generates one in var/)"
        )
    SECRET_KEY = "django-insecure-local-development-only-key-0123456789abcdefghijklmnop"  # noqa: S105

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
if DEBUG:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

HTTPS = envbool("DJANGO_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14, minimum=60)
# The admin's flash messages live in the session: the default (cookie, falling back to session)
# builds a cookie signer on every request, a tenth of a wall poll's cost.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "orders_app",
]

MIDDLEWARE = [
    "dashboard.middleware.ActiveRequestsMiddleware",  # WEB_ACTIVE_REQUESTS at once per process
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dashboard.middleware.LanguageMiddleware",  # the language of each page (see below)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dashboard.middleware.CSPMiddleware",  # django-csp's, with the header built once
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
                "orders_app.context_processors.pass_settings",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# The demo (simulator) cache and a live restaurant's cache never share a default database file.
_HAS_CLOPOS_CREDENTIALS = bool(envstr("CLOPOS_TOKEN") or envstr("CLOPOS_CLIENT_ID"))
_default_db = VAR_DIR / ("pass.sqlite3" if _HAS_CLOPOS_CREDENTIALS else "pass-demo.sqlite3")
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{_default_db}")
DATABASES = {"default": database_from_url(DATABASE_URL, base_dir=BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Django's full default set (a password like the username plus "1" is refused).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins allowed per username from one client address, and per address, in
# LOGIN_THROTTLE_WINDOW seconds.
LOGIN_THROTTLE_ATTEMPTS = envint("LOGIN_THROTTLE_ATTEMPTS", 5, minimum=1)
LOGIN_THROTTLE_WINDOW = envint("LOGIN_THROTTLE_WINDOW", 300, minimum=1)
# Proxies whose X-Forwarded-For the login throttle believes (addresses or networks).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", ["127.0.0.1", "::1"])
# Failed-login counts: files here (exact across one host's workers), or a shared cache alias.
LOGIN_THROTTLE_DIR = Path(envstr("LOGIN_THROTTLE_DIR", str(VAR_DIR / "login-throttle")))
LOGIN_THROTTLE_CACHE = envstr("LOGIN_THROTTLE_CACHE", "")

# --- Time and language ------------------------------------------------------------------------
TIME_ZONE = envstr("TIME_ZONE", "Asia/Baku")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone") from None
USE_TZ = True
# Pass speaks Azerbaijani, Russian and English (docs/i18n.md: the glossary, adding a language).
# The board and the login follow the language menu's cookie, then the browser's
# Accept-Language; wall screens follow lang= in their URL. LANGUAGE_CODE is the fallback.
USE_I18N = True
LANGUAGES = [("az", "Azərbaycanca"), ("ru", "Русский"), ("en", "English")]
LANGUAGE_CODE = envstr("LANGUAGE_CODE", "en").lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be az, ru or en; got {LANGUAGE_CODE!r}")
LOCALE_PATHS = [BASE_DIR / "orders_app" / "locale"]
# Dates, times and numbers per language (dashboard/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["dashboard.formats"]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 60 if DEBUG else 31_536_000

# --- Content Security Policy: only our own origin; no inline scripts or styles. -----------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Clopos -----------------------------------------------------------------------------------
CLOPOS_TOKEN = envstr("CLOPOS_TOKEN")
CLOPOS_CLIENT_ID = envstr("CLOPOS_CLIENT_ID")
CLOPOS_CLIENT_SECRET = envstr("CLOPOS_CLIENT_SECRET")
CLOPOS_BRAND = envstr("CLOPOS_BRAND")
CLOPOS_INTEGRATOR_ID = envstr("CLOPOS_INTEGRATOR_ID")
CLOPOS_VENUE_ID = envstr("CLOPOS_VENUE_ID")
if CLOPOS_VENUE_ID and not CLOPOS_VENUE_ID.isdigit():
    raise ImproperlyConfigured(
        f"CLOPOS_VENUE_ID must be a numeric venue id; got {CLOPOS_VENUE_ID!r}"
    )
_client_fields = {
    "CLOPOS_CLIENT_ID": CLOPOS_CLIENT_ID,
    "CLOPOS_CLIENT_SECRET": CLOPOS_CLIENT_SECRET,
    "CLOPOS_BRAND": CLOPOS_BRAND,
    "CLOPOS_INTEGRATOR_ID": CLOPOS_INTEGRATOR_ID,
}
if any(_client_fields.values()) and not all(_client_fields.values()) and not CLOPOS_TOKEN:
    _missing = ", ".join(k for k, v in _client_fields.items() if not v)
    raise ImproperlyConfigured(f"Clopos credentials are incomplete: set {_missing} too")

# Demo mode: no credentials at all, so Pass talks to the bundled simulator on loopback.
CLOPOS_DEMO = not CLOPOS_TOKEN and not CLOPOS_CLIENT_ID
CLOPOS_SIMULATOR_PORT = envint("CLOPOS_SIMULATOR_PORT", 8765, minimum=1, maximum=65535)
CLOPOS_DEMO_CREDENTIALS = {
    "client_id": "pass-demo",
    "client_secret": "pass-demo-secret",
    "brand": "pass-demo",
    "integrator_id": "pass-demo-integrator",
}
if CLOPOS_DEMO:
    CLOPOS_CLIENT_ID = CLOPOS_DEMO_CREDENTIALS["client_id"]
    CLOPOS_CLIENT_SECRET = CLOPOS_DEMO_CREDENTIALS["client_secret"]
    CLOPOS_BRAND = CLOPOS_DEMO_CREDENTIALS["brand"]
    CLOPOS_INTEGRATOR_ID = CLOPOS_DEMO_CREDENTIALS["integrator_id"]
    _default_base = f"http://127.0.0.1:{CLOPOS_SIMULATOR_PORT}/open-api/v2"
else:
    _default_base = "https://integrations.clopos.com/open-api/v2"
CLOPOS_BASE_URL = envstr("CLOPOS_BASE_URL", _default_base).rstrip("/")
if not CLOPOS_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"CLOPOS_BASE_URL must be an http(s) URL; got {CLOPOS_BASE_URL!r}")
CLOPOS_TIMEOUT = envfloat("CLOPOS_TIMEOUT", 10.0, minimum=0.1)
CLOPOS_MAX_RETRIES = envint("CLOPOS_MAX_RETRIES", 5, minimum=0, maximum=20)
CLOPOS_REQUESTS_PER_MINUTE = envint("CLOPOS_REQUESTS_PER_MINUTE", 60, minimum=1, maximum=300)
# More a minute while the outbox delivers the kitchen's taps (WALL_BUMP, BOARD_CAN_IGNORE);
# with the reads' budget it stays at or under Clopos's documented 300.
CLOPOS_WRITE_REQUESTS_PER_MINUTE = envint(
    "CLOPOS_WRITE_REQUESTS_PER_MINUTE", 120, minimum=0, maximum=240
)
CLOPOS_PAGE_SIZE = envint("CLOPOS_PAGE_SIZE", 100, minimum=1, maximum=200)

# --- Sync -------------------------------------------------------------------------------------
# The orders pass of `sync_orders --loop` runs every SYNC_INTERVAL seconds; receipts (and the
# orders' links to them) every SYNC_RECEIPTS_SECONDS; the stop list every SYNC_STOPLIST_SECONDS.
# Chosen from measurement (bench/bench_latency.py): new orders on the wall at p95 under 3 s with
# about 13% of Clopos's 300 requests a minute. A one-shot `sync_orders` does all of them.
SYNC_INTERVAL = envfloat("SYNC_INTERVAL", 2.0, minimum=0.5)
SYNC_RECEIPTS_SECONDS = envfloat("SYNC_RECEIPTS_SECONDS", 10.0, minimum=1)
SYNC_BACKFILL_DAYS = envint("SYNC_BACKFILL_DAYS", 7, minimum=0, maximum=3660)
SYNC_OVERLAP_MINUTES = envint("SYNC_OVERLAP_MINUTES", 5, minimum=0)
SYNC_RECONCILE_MINUTES = envint("SYNC_RECONCILE_MINUTES", 10, minimum=1)
SYNC_STALE_AFTER = envint("SYNC_STALE_AFTER", 60, minimum=1)
# The kitchen (receipts, stations, products, the stop list): SYNC_RECEIPTS=0 turns it off, for
# an integrator that may not read receipts; the stop list is read every SYNC_STOPLIST_SECONDS.
SYNC_RECEIPTS = envbool("SYNC_RECEIPTS", True)
SYNC_STOPLIST_SECONDS = envint("SYNC_STOPLIST_SECONDS", 60, minimum=5)
# The runner renews its lease every third of this; a crashed runner's lease frees this long after.
SYNC_LEASE_SECONDS = envint("SYNC_LEASE_SECONDS", 30, minimum=5)

# --- Display ----------------------------------------------------------------------------------
CURRENCY = envstr("CURRENCY", "₼")
# Clopos publishes no money scale: figures are divided by MONEY_DIVISOR before display.
MONEY_DIVISOR = envint("MONEY_DIVISOR", 1, minimum=1)
MONEY_DECIMALS = envint("MONEY_DECIMALS", 2, minimum=0, maximum=4)
# The statuses and their label rules live in orders_app/vocabulary.py; these two settings are
# what it reads. STATUS_LABELS="PENDING=New,..." set by an operator wins in every language;
# without it, the labels are the translated defaults.
from orders_app import vocabulary as _vocabulary  # noqa: E402 - kept beside the settings it builds

ORDER_STATUSES = list(_vocabulary.ORDER_STATUSES)
STATUS_LABELS = _vocabulary.status_labels_from(envlist("STATUS_LABELS", []))
BOARD_POLL_SECONDS = envint("BOARD_POLL_SECONDS", 5, minimum=1)
BOARD_PAGE_SIZE = envint("BOARD_PAGE_SIZE", 50, minimum=5, maximum=500)

# How screens (wall, pickup, the board's list) learn of a change: "longpoll" (each poll is
# held on the server until the cache changes, up to the screen's poll interval) or "poll" (every
# interval, answered at once: the transport before held polls). See services/change_watch.py.
SCREEN_UPDATES = envstr("SCREEN_UPDATES", "longpoll").lower()
# Requests of one web process that run at once; the other threads wait (held polls give their
# place up while they are held). See services/change_watch.py, ActiveSlots.
WEB_ACTIVE_REQUESTS = envint("WEB_ACTIVE_REQUESTS", 4, minimum=1, maximum=1000)
if SCREEN_UPDATES not in {"longpoll", "poll"}:
    raise ImproperlyConfigured(f"SCREEN_UPDATES must be longpoll or poll; got {SCREEN_UPDATES!r}")

# --- Wall screen ------------------------------------------------------------------------------
WALL_POLL_SECONDS = envint("WALL_POLL_SECONDS", 5, minimum=1)
WALL_DONE_MINUTES = envint("WALL_DONE_MINUTES", 15, minimum=1)
# Open orders older than this leave the wall (counted in a marker linking to the board).
WALL_MAX_OPEN_HOURS = envint("WALL_MAX_OPEN_HOURS", 12, minimum=1)
# Ageing per status, "STATUS=AMBER:RED" in minutes.
WALL_AGE_THRESHOLDS = envlist("WALL_AGE_THRESHOLDS", ["PENDING=2:5", "RECEIVED=15:25"])
WALL_WATCHDOG_MINUTES = envint("WALL_WATCHDOG_MINUTES", 3, minimum=1)
WALL_RELOAD_HOURS = envint("WALL_RELOAD_HOURS", 4, minimum=1)
WALL_OPENING_HOURS = envstr("WALL_OPENING_HOURS", "")  # e.g. "09:00-23:30"; empty = never dim


def bump_flow_from(entries: list[str]) -> list[str]:
    """WALL_BUMP_FLOW as the steps a bump walks: at least two distinct Clopos order_status
    values (vocabulary.RECEIPT_ORDER_STATUSES), in the order a ticket moves through them."""
    steps = [entry.strip().upper() for entry in entries]
    unknown = [step for step in steps if step not in _vocabulary.RECEIPT_ORDER_STATUSES]
    if unknown:
        raise ImproperlyConfigured(
            f"WALL_BUMP_FLOW steps must be Clopos order_status values "
            f"({', '.join(_vocabulary.RECEIPT_ORDER_STATUSES)}); got {', '.join(unknown)}"
        )
    if len(set(steps)) != len(steps):
        raise ImproperlyConfigured(f"WALL_BUMP_FLOW names a step twice: {','.join(steps)}")
    if len(steps) < 2:
        raise ImproperlyConfigured("WALL_BUMP_FLOW needs at least two steps, e.g. NEW,READY")
    return steps


# Bumping (off by default: Pass writes nothing to Clopos). With WALL_BUMP a manager may bump
# on any wall and a kiosk screen if its key allows it (wall_key ... --bump); a bump moves a
# receipt's order_status one step along WALL_BUMP_FLOW (or back one: undo, recall).
WALL_BUMP = envbool("WALL_BUMP", False)
WALL_BUMP_FLOW = bump_flow_from(
    envlist("WALL_BUMP_FLOW", ["NEW", "IN_PROGRESS", "READY", "PICKED_UP"])
)
# Between passes, how often `sync_orders --loop` looks for a tap to deliver (writes on);
# 0: only at the start of each pass (the transport before, the benchmark's baseline).
OUTBOX_CHECK_SECONDS = envfloat("OUTBOX_CHECK_SECONDS", 0.25, minimum=0)
# Taps one screen (a kiosk key, or a manager) may make in a minute; more answer 429.
WALL_BUMP_PER_MINUTE = envint("WALL_BUMP_PER_MINUTE", 60, minimum=1)
# Managers may ignore a PENDING order (PUT /orders/{id} IGNORE) from the board and order page.
BOARD_CAN_IGNORE = envbool("BOARD_CAN_IGNORE", False)

# --- Manager login created by `make run` ------------------------------------------------------
MANAGER_USERNAME = envstr("MANAGER_USERNAME", "manager")
MANAGER_PASSWORD = envstr("MANAGER_PASSWORD")

# --- Logging: one line per event, key=value, for a log collector. -------------------------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR; got {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "logfmt": {
            "format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "logfmt"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# Under pytest (or PASS_TESTING=1) a fast password hasher keeps login-heavy tests quick.
if os.environ.get("PASS_TESTING") == "1" or "pytest" in sys.modules:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
