"""Configuration read from environment variables, with safe defaults for the demo."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _json(name: str, default: Any) -> Any:
    raw = os.environ.get(name)
    return json.loads(raw) if raw else default


def public_base_url(environ: Mapping[str, str]) -> str:
    """The base of links sent to consumers and installers: PUBLIC_BASE_URL when set, else
    the address `make run` serves on (HOST, PORT; a wildcard host is reached as 127.0.0.1)."""
    explicit = environ.get("PUBLIC_BASE_URL", "").strip()
    if explicit:
        return explicit.rstrip("/")
    host = environ.get("HOST", "").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    port = environ.get("PORT", "").strip() or "5000"
    return f"http://{host}:{port}"


def rate_limit_storage_problem(workers: int, *, storage_uri: str, enabled: bool) -> str | None:
    """Why `workers` web processes cannot serve with this rate-limit storage, or None.

    `memory://` counts inside one process: with several workers each would count alone (a
    limit of 30 per minute lets through 30 per worker), so they need a shared storage.
    """
    if not enabled or workers <= 1 or not (storage_uri or "memory://").startswith("memory://"):
        return None
    return (
        f"{workers} web workers with RATELIMIT_STORAGE_URI={storage_uri}: every worker would "
        "count rate limits alone. Share the counts (e.g. RATELIMIT_STORAGE_URI="
        "redis://127.0.0.1:6379), run one worker (WEB_WORKERS=1, more WEB_THREADS), or "
        "switch the limits off (RATELIMIT_ENABLED=false)."
    )


def instance_secret_key(instance_dir: Path) -> str:
    """A random key kept in the instance folder, made on first use (never a published
    default); used when SECRET_KEY is not set."""
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings for a running deployment; every value can be set by an environment variable."""

    # Unset: create_app() reads (or makes) instance/secret_key.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'fuwutong.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    # Largest request body accepted (bytes); larger requests answer 413.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
    DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Asia/Shanghai")
    # Follows HOST/PORT (the address `make run` serves on) unless set explicitly.
    PUBLIC_BASE_URL = public_base_url(os.environ)
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)

    SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
    TWILIO_STATUS_CALLBACK_URL = os.environ.get("TWILIO_STATUS_CALLBACK_URL", "")
    # Seconds to wait for Twilio (connect and read); a stalled call then fails and is retried.
    TWILIO_TIMEOUT = float(os.environ.get("TWILIO_TIMEOUT", "10"))
    # Hours after the invitation before a consumer who booked nothing is nudged (at most twice).
    NUDGE_AFTER_HOURS = _int("NUDGE_AFTER_HOURS", 24)

    GEOCODER = os.environ.get("GEOCODER", "offline")
    GEOCODER_OPTIONS: dict[str, Any] = _json("GEOCODER_OPTIONS", {})
    GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "fuwutong")
    GEOCODER_DATA = os.environ.get("GEOCODER_DATA", "")

    # A routing server for travel times (its table service); unset: great-circle estimate.
    OSRM_URL = os.environ.get("OSRM_URL", "")
    OSRM_TIMEOUT = float(os.environ.get("OSRM_TIMEOUT", "5"))

    # Day plans: solver time limit per dealer-day (s), its seed, and how long an event-made
    # plan request waits so that several changes to a day collapse into one solve.
    PLAN_TIME_LIMIT = float(os.environ.get("PLAN_TIME_LIMIT", "4"))
    PLAN_SEED = _int("PLAN_SEED", 0)
    PLAN_DEBOUNCE_SECONDS = _int("PLAN_DEBOUNCE_SECONDS", 5)

    # Web pages (dispatcher pages) sign in with a signed session cookie.
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    SESSION_DAYS = _int("SESSION_DAYS", 30)

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_BYTES", 8 * 1024 * 1024)
    # Idempotency-Key records are kept this long; a key reused later starts a new request.
    IDEMPOTENCY_TTL_HOURS = _int("IDEMPOTENCY_TTL_HOURS", 24)

    # Per-process memory by default: gunicorn refuses several workers with it (gunicorn.conf.py).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # Prefix of the counters' keys, so several deployments can share one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "fuwutong")

    # The installer field app: sign-in codes, device tokens, invites, proof of work.
    FIELD_TOKEN_DAYS = _int("FIELD_TOKEN_DAYS", 30)
    FIELD_CODE_MINUTES = _int("FIELD_CODE_MINUTES", 10)
    FIELD_CODE_ATTEMPTS = _int("FIELD_CODE_ATTEMPTS", 5)
    # Per phone number: seconds between two codes, and codes per rolling hour.
    FIELD_CODE_COOLDOWN_SECONDS = _int("FIELD_CODE_COOLDOWN_SECONDS", 60)
    FIELD_CODES_PER_HOUR = _int("FIELD_CODES_PER_HOUR", 5)
    # Per client address (Flask-Limiter syntax): asking for codes, and trying codes or invites.
    FIELD_CODE_RATE_LIMIT = os.environ.get("FIELD_CODE_RATE_LIMIT", "20 per hour")
    FIELD_SIGNIN_RATE_LIMIT = os.environ.get("FIELD_SIGNIN_RATE_LIMIT", "60 per hour")
    FIELD_INVITE_HOURS = _int("FIELD_INVITE_HOURS", 72)
    # "Arrived" further than this from the job's address is recorded with a warning.
    FIELD_ARRIVAL_RADIUS_M = _int("FIELD_ARRIVAL_RADIUS_M", 500)
    FIELD_MAX_PHOTOS = _int("FIELD_MAX_PHOTOS", 20)

    # Operations: log lines as JSON objects (json) or plain text (text); one line per request;
    # a bearer token /metrics asks for (unset: open, for a scraper on a private network).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_REQUESTS = _bool("LOG_REQUESTS", False)
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

    API_TITLE = "Fuwutong API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served from the app itself: deployments may have no internet.
    OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"
    JSON_SORT_KEYS = False


class TestConfig(Config):
    """Settings for the test suite: PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SMS_BACKEND = "log"
    GEOCODER = "offline"
    RATELIMIT_ENABLED = True
    PUBLIC_BASE_URL = "http://localhost"
    PLAN_TIME_LIMIT = 0.5
