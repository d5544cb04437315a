"""Configuration from the environment, read once at start-up. The README documents every name."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DEFAULT_DATA_DIR: Final = Path(".insighta")
DEFAULT_CACHE_TTL_SECONDS: Final = 300
DEFAULT_MAX_UPLOAD_BYTES: Final = 1 << 30
DEFAULT_TOKEN_TTL_SECONDS: Final = 12 * 3600
DEFAULT_INGESTION_WORKERS: Final = 2
DEFAULT_INGESTION_BATCH_ROWS: Final = 50_000
DEFAULT_INSIGHTA_URL: Final = "http://127.0.0.1:8000/graphql"


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
    data_dir: Path = DEFAULT_DATA_DIR
    secret_key: Secret | None = None
    cache_ttl_seconds: int = DEFAULT_CACHE_TTL_SECONDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS
    gemini_api_key: Secret | None = None
    gemini_base_url: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    resend_api_key: Secret | None = None
    resend_base_url: str | None = None
    email_from: str = "Insighta <no-reply@insighta.local>"
    livekit_url: str | None = None
    livekit_api_key: str | None = None
    livekit_api_secret: Secret | None = None
    # CSV ingestion: jobs run at once per server process (each with one parse process and one
    # database connection), and rows per committed batch (the resume granularity).
    ingestion_workers: int = DEFAULT_INGESTION_WORKERS
    ingestion_batch_rows: int = DEFAULT_INGESTION_BATCH_ROWS
    # Where the CLI's client commands send requests, and with which token.
    insighta_url: str = DEFAULT_INSIGHTA_URL
    insighta_token: Secret | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=_secret(env.get("DATABASE_URL")),
            database_read_url=_secret(env.get("DATABASE_READ_URL")),
            redis_url=env.get("REDIS_URL") or None,
            data_dir=Path(env.get("INSIGHTA_DATA_DIR") or DEFAULT_DATA_DIR),
            secret_key=_secret(env.get("SECRET_KEY")),
            cache_ttl_seconds=_int(env, "CACHE_TTL_SECONDS", DEFAULT_CACHE_TTL_SECONDS),
            max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
            token_ttl_seconds=_int(env, "TOKEN_TTL_SECONDS", DEFAULT_TOKEN_TTL_SECONDS),
            gemini_api_key=_secret(env.get("GEMINI_API_KEY")),
            gemini_base_url=env.get("GEMINI_BASE_URL") or None,
            gemini_model=env.get("GEMINI_MODEL") or "gemini-2.5-flash",
            resend_api_key=_secret(env.get("RESEND_API_KEY")),
            resend_base_url=env.get("RESEND_BASE_URL") or None,
            email_from=env.get("EMAIL_FROM") or "Insighta <no-reply@insighta.local>",
            livekit_url=env.get("LIVEKIT_URL") or None,
            livekit_api_key=env.get("LIVEKIT_API_KEY") or None,
            livekit_api_secret=_secret(env.get("LIVEKIT_API_SECRET")),
            ingestion_workers=_positive(env, "INGESTION_WORKERS", DEFAULT_INGESTION_WORKERS),
            ingestion_batch_rows=_positive(
                env, "INGESTION_BATCH_ROWS", DEFAULT_INGESTION_BATCH_ROWS
            ),
            insighta_url=env.get("INSIGHTA_URL") or DEFAULT_INSIGHTA_URL,
            insighta_token=_secret(env.get("INSIGHTA_TOKEN")),
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


def _secret(value: str | None) -> Secret | None:
    return Secret(value) if value else None


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


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value
