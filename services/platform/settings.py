"""Configuration from the environment, read once at start-up. The README documents every name."""

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

DEFAULT_DATA_DIR: Final = Path(".insighta")
DEFAULT_CACHE_TTL_SECONDS: Final = 300
# About 10 KB per cached 20-row page (50 KB at 100 rows): ~40-200 MB at most per process.
DEFAULT_CACHE_MAX_ENTRIES: Final = 4096
DEFAULT_MAX_UPLOAD_BYTES: Final = 1 << 30
GRAPHQL_MAX_INT: Final = 2**31 - 1
DEFAULT_TOKEN_TTL_SECONDS: Final = 12 * 3600
DEFAULT_UPSTREAM_TIMEOUT_SECONDS: Final = 30.0
DEFAULT_JOB_LEASE_SECONDS: Final = 15.0
DEFAULT_JOB_POLL_SECONDS: Final = 1.0
DEFAULT_RETENTION_DAYS: Final = 30
DEFAULT_HOUSEKEEPING_INTERVAL_SECONDS: Final = 3600.0
DEFAULT_INTERVIEW_JOIN_URL: Final = "http://127.0.0.1:3000/interviews/{interview_id}/join"
DEFAULT_ACCESS_TOKEN_TTL_SECONDS: Final = 900
DEFAULT_REFRESH_TOKEN_TTL_SECONDS: Final = 30 * 24 * 3600
DEFAULT_PASSWORD_RESET_TTL_SECONDS: Final = 1800
DEFAULT_INVITATION_TTL_SECONDS: Final = 7 * 24 * 3600
DEFAULT_USER_STATUS_CACHE_SECONDS: Final = 5.0
DEFAULT_APP_URL: Final = "http://127.0.0.1:3000"
# RETRY_<TASK>_<FIELD>, e.g. RETRY_GENERATE_ASSESSMENT_TRIES=5 (services/platform/retry_tasks.py).
_RETRY_ENV: Final = re.compile(r"^RETRY_([A-Z_]+?)_(TRIES|INITIAL_DELAY|MAX_DELAY)$")
DEFAULT_CLIENT_URL: Final = "http://127.0.0.1:8000/graphql"
DEFAULT_INGESTION_WORKERS: Final = 2
DEFAULT_INGESTION_BATCH_ROWS: Final = 50_000
DEFAULT_PERSISTED_QUERY_MAX_BYTES: Final = 64 << 20


class Secret:
    """A string whose repr never shows its value (keys, tokens, DSNs with passwords)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: Secret | None = None
    database_read_url: Secret | None = None
    redis_url: str | None = None
    # When set, /metrics answers only requests that send it as a bearer token.
    metrics_token: Secret | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    secret_key: Secret | None = None
    cache_ttl_seconds: int = DEFAULT_CACHE_TTL_SECONDS
    cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS
    graphql_introspection: bool = True
    # Largest non-upload request body (a JSON document with its variables).
    max_request_bytes: int = 1 << 20
    # Requests per minute: per caller (user or token subject, else IP) for every operation,
    # and per IP for the account mutations that take a password or a mailed token. 0: no limit.
    rate_limit_per_minute: int = 300
    auth_rate_limit_per_minute: int = 10
    # Bytes of persisted query texts kept per process, and in Redis when REDIS_URL is set
    # (graph/extensions/persisted_queries.py; each entry also counts a fixed overhead).
    persisted_query_max_bytes: int = DEFAULT_PERSISTED_QUERY_MAX_BYTES
    gemini_api_key: Secret | None = None
    gemini_base_url: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_embedding_model: str = "gemini-embedding-001"
    resend_api_key: Secret | None = None
    resend_base_url: str | None = None
    email_from: str = "Insighta <no-reply@insighta.local>"
    livekit_url: str | None = None
    livekit_api_key: str | None = None
    livekit_api_secret: Secret | None = None
    upstream_timeout_seconds: float = DEFAULT_UPSTREAM_TIMEOUT_SECONDS
    # {"generate_assessment": {"tries": 5.0}}: per-task retry overrides from RETRY_* variables.
    retry_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    job_lease_seconds: float = DEFAULT_JOB_LEASE_SECONDS
    job_poll_seconds: float = DEFAULT_JOB_POLL_SECONDS
    # Off for API-only processes: another process (or host) then runs the background jobs.
    job_worker: bool = True
    # Expired tokens and links, and finished jobs, go this long after (services/housekeeping).
    retention_days: int = DEFAULT_RETENTION_DAYS
    housekeeping_interval_seconds: float = DEFAULT_HOUSEKEEPING_INTERVAL_SECONDS
    interview_join_url: str = DEFAULT_INTERVIEW_JOIN_URL
    otel_endpoint: str | None = None
    otel_service_name: str = "insighta"
    # Where the processes of one server write their metrics, so /metrics sums them (prometheus
    # client's multiprocess mode); `serve --workers N` sets it for its workers.
    metrics_multiprocess_dir: Path | None = None
    access_token_ttl_seconds: int = DEFAULT_ACCESS_TOKEN_TTL_SECONDS
    refresh_token_ttl_seconds: int = DEFAULT_REFRESH_TOKEN_TTL_SECONDS
    password_reset_ttl_seconds: int = DEFAULT_PASSWORD_RESET_TTL_SECONDS
    invitation_ttl_seconds: int = DEFAULT_INVITATION_TTL_SECONDS
    user_status_cache_seconds: float = DEFAULT_USER_STATUS_CACHE_SECONDS
    # The web app behind the links in account emails (sign-in, password reset, invitation).
    app_url: str = DEFAULT_APP_URL
    # CSV ingestion: jobs run at once per server process (each with one parse process and one
    # database connection), and rows per committed batch (the resume granularity).
    ingestion_workers: int = DEFAULT_INGESTION_WORKERS
    ingestion_batch_rows: int = DEFAULT_INGESTION_BATCH_ROWS
    # Server processes `insighta serve` runs when `--workers` is not given (uvicorn's name).
    web_concurrency: int = 1

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=_secret(env.get("DATABASE_URL")),
            database_read_url=_secret(env.get("DATABASE_READ_URL")),
            redis_url=env.get("REDIS_URL") or None,
            metrics_token=_secret(env.get("METRICS_TOKEN")),
            data_dir=Path(env.get("INSIGHTA_DATA_DIR") or DEFAULT_DATA_DIR),
            secret_key=_secret(env.get("SECRET_KEY")),
            cache_ttl_seconds=_int(env, "CACHE_TTL_SECONDS", DEFAULT_CACHE_TTL_SECONDS),
            cache_max_entries=_int(env, "CACHE_MAX_ENTRIES", DEFAULT_CACHE_MAX_ENTRIES),
            max_upload_bytes=_upload_limit(env),
            token_ttl_seconds=_int(env, "TOKEN_TTL_SECONDS", DEFAULT_TOKEN_TTL_SECONDS),
            graphql_introspection=_bool(env, "GRAPHQL_INTROSPECTION", default=True),
            max_request_bytes=_int(env, "MAX_REQUEST_BYTES", 1 << 20),
            rate_limit_per_minute=_int(env, "RATE_LIMIT_PER_MINUTE", 300),
            auth_rate_limit_per_minute=_int(env, "AUTH_RATE_LIMIT_PER_MINUTE", 10),
            persisted_query_max_bytes=_int(
                env, "PERSISTED_QUERY_MAX_BYTES", DEFAULT_PERSISTED_QUERY_MAX_BYTES
            ),
            gemini_api_key=_secret(env.get("GEMINI_API_KEY")),
            gemini_base_url=env.get("GEMINI_BASE_URL") or None,
            gemini_model=env.get("GEMINI_MODEL") or "gemini-2.5-flash",
            gemini_embedding_model=env.get("GEMINI_EMBEDDING_MODEL") or "gemini-embedding-001",
            resend_api_key=_secret(env.get("RESEND_API_KEY")),
            # The resend SDK's own variable is honoured too, so either spelling works.
            resend_base_url=env.get("RESEND_BASE_URL") or env.get("RESEND_API_URL") or None,
            email_from=env.get("EMAIL_FROM") or "Insighta <no-reply@insighta.local>",
            livekit_url=env.get("LIVEKIT_URL") or None,
            livekit_api_key=env.get("LIVEKIT_API_KEY") or None,
            livekit_api_secret=_secret(env.get("LIVEKIT_API_SECRET")),
            upstream_timeout_seconds=_float(
                env, "UPSTREAM_TIMEOUT_SECONDS", DEFAULT_UPSTREAM_TIMEOUT_SECONDS
            ),
            retry_overrides=_retry_overrides(env),
            job_lease_seconds=_float(env, "JOB_LEASE_SECONDS", DEFAULT_JOB_LEASE_SECONDS),
            job_poll_seconds=_float(env, "JOB_POLL_SECONDS", DEFAULT_JOB_POLL_SECONDS),
            job_worker=_bool(env, "JOB_WORKER", default=True),
            retention_days=_int(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
            housekeeping_interval_seconds=_float(
                env, "HOUSEKEEPING_INTERVAL_SECONDS", DEFAULT_HOUSEKEEPING_INTERVAL_SECONDS
            ),
            interview_join_url=env.get("INTERVIEW_JOIN_URL") or DEFAULT_INTERVIEW_JOIN_URL,
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            otel_service_name=env.get("OTEL_SERVICE_NAME") or "insighta",
            metrics_multiprocess_dir=_path(env, "PROMETHEUS_MULTIPROC_DIR"),
            access_token_ttl_seconds=_positive_int(
                env, "ACCESS_TOKEN_TTL_SECONDS", DEFAULT_ACCESS_TOKEN_TTL_SECONDS
            ),
            refresh_token_ttl_seconds=_positive_int(
                env, "REFRESH_TOKEN_TTL_SECONDS", DEFAULT_REFRESH_TOKEN_TTL_SECONDS
            ),
            password_reset_ttl_seconds=_positive_int(
                env, "PASSWORD_RESET_TTL_SECONDS", DEFAULT_PASSWORD_RESET_TTL_SECONDS
            ),
            invitation_ttl_seconds=_positive_int(
                env, "INVITATION_TTL_SECONDS", DEFAULT_INVITATION_TTL_SECONDS
            ),
            user_status_cache_seconds=_float(
                env, "USER_STATUS_CACHE_SECONDS", DEFAULT_USER_STATUS_CACHE_SECONDS
            ),
            app_url=(env.get("APP_URL") or DEFAULT_APP_URL).rstrip("/"),
            ingestion_workers=_positive(env, "INGESTION_WORKERS", DEFAULT_INGESTION_WORKERS),
            ingestion_batch_rows=_positive(
                env, "INGESTION_BATCH_ROWS", DEFAULT_INGESTION_BATCH_ROWS
            ),
            web_concurrency=_positive(env, "WEB_CONCURRENCY", 1),
        )

    def resolved_secret_key(self) -> Secret:
        """`SECRET_KEY`, or a key made once and kept in the data dir so tokens survive restarts."""
        if self.secret_key is not None:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first; read theirs
            else:
                with os.fdopen(descriptor, "w") as file:
                    file.write(secrets.token_urlsafe(48))
        return Secret(path.read_text().strip())

    def stored_secret_key(self) -> Secret | None:
        """`SECRET_KEY` or the data dir's key if one exists; unlike `resolved_secret_key`,
        never makes one (a client must not invent a key no server uses)."""
        if self.secret_key is not None:
            return self.secret_key
        path = self.data_dir / "secret_key"
        return Secret(path.read_text().strip()) if path.is_file() else None


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What the CLI's client commands (query, export, login, ...) read from the environment."""

    url: str | None = None  # INSIGHTA_URL; None: the stored login's, else DEFAULT_CLIENT_URL
    token: Secret | None = None  # INSIGHTA_TOKEN
    credentials_path: Path = field(default_factory=lambda: _credentials_path(Path.home()))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "ClientSettings":
        env = dict(os.environ if environ is None else environ)
        return cls(
            url=env.get("INSIGHTA_URL") or None,
            token=_secret(env.get("INSIGHTA_TOKEN")),
            credentials_path=_credentials_path(
                Path(env["HOME"]) if env.get("HOME") else Path.home()
            ),
        )


def _credentials_path(home: Path) -> Path:
    return home / ".insighta" / "credentials.json"


def _secret(value: str | None) -> Secret | None:
    return Secret(value) if value else None


def _bool(env: dict[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _upload_limit(env: dict[str, str]) -> int:
    # An ingestion job's byte counts are GraphQL Ints (the contract): a larger file could be
    # accepted and then never be readable through ingestionJob.
    value = _int(env, "MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    if value > GRAPHQL_MAX_INT:
        raise ValueError(
            f"MAX_UPLOAD_BYTES must be at most {GRAPHQL_MAX_INT} (2 GiB - 1), got {value}"
        )
    return value


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    """A lifetime: zero would issue tokens that are dead on arrival."""
    value = _int(env, name, default)
    if value == 0:
        raise ValueError(f"{name} must be at least 1")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a finite number >= 0, got {raw!r}")
    return value


def _retry_overrides(env: Mapping[str, str]) -> dict[str, dict[str, float]]:
    overrides: dict[str, dict[str, float]] = {}
    for name in sorted(env):
        match = _RETRY_ENV.match(name)
        if match is None or not env[name]:
            continue
        task, setting = match.group(1).lower(), match.group(2).lower()
        overrides.setdefault(task, {})[setting] = _float(env, name, 0.0)
    return overrides


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw) if raw else None


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value
