"""Configuration from the environment, read once at start-up.

Each setting is declared once, as a field made by `setting()`: its variable, its default and
one line of documentation; the field's annotation is its type and picks the parser. An empty
variable counts as unset. docs/configuration.md is generated from these declarations
(`uv run python -m services.platform.settings_doc`), and a test keeps it current.
"""

import dataclasses
import math
import os
import re
import secrets
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Self, TypeVar, get_origin

from services.platform.structured_logging import LogFormat

_T = TypeVar("_T")

# An ingestion job's byte counts are GraphQL Ints (the contract): a larger file could be
# accepted and then never be readable through ingestionJob.
GRAPHQL_MAX_INT: Final = 2**31 - 1
DEFAULT_CLIENT_URL: Final = "http://127.0.0.1:8000/graphql"

# RETRY_<TASK>_<FIELD>, e.g. RETRY_GENERATE_ASSESSMENT_TRIES=5: the tasks and their defaults
# are in services/platform/retry_tasks.py, which checks the task names when it builds the policies.
RETRY_FIELDS: Final = ("TRIES", "INITIAL_DELAY", "MAX_DELAY")
_RETRY_ENV: Final = re.compile(rf"^RETRY_([A-Z_]+?)_({'|'.join(RETRY_FIELDS)})$")
# A serialized origin as a browser sends it (RFC 6454): scheme, host or [IPv6], optional port.
_ORIGIN: Final = re.compile(r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")
_DEFAULT_PORTS: Final = (("http://", ":80"), ("https://", ":443"))


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


class SettingsError(ValueError):
    """Every bad variable found in one reading, each named, so one start-up shows them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Declaration:
    """What docs/configuration.md says about one variable, and how it is read."""

    env: str
    doc: str
    # What an unset variable means, where the default value alone does not say it.
    unset: str | None = None
    minimum: int = 0
    maximum: int | None = None
    # A second name read when the first is unset.
    alias: str | None = None
    parse: Callable[[str], Any] | None = None


def setting(
    env: str,
    default: _T,
    doc: str,
    *,
    unset: str | None = None,
    minimum: int = 0,
    maximum: int | None = None,
    alias: str | None = None,
    parse: Callable[[str], _T] | None = None,
) -> _T:
    """A dataclass field read from `env`; numbers below `minimum` or above `maximum` are refused."""
    declaration = Declaration(env, doc, unset, minimum, maximum, alias, parse)
    return field(default=default, metadata={"setting": declaration})


@dataclass(frozen=True, slots=True)
class Settings:
    """What the server, the worker and the server-side commands read from the environment."""

    # Storage and the server process
    database_url: Secret | None = setting(
        "DATABASE_URL",
        None,
        "PostgreSQL DSN (15 or newer).",
        unset="embedded PostgreSQL in the data dir",
    )
    database_read_url: Secret | None = setting(
        "DATABASE_READ_URL",
        None,
        "DSN of a read replica for profile reads (`profiles`, `profile`, `profileStats`, CSV"
        " export); a caller still reads its own writes (docs/operations.md, Read replicas).",
        unset="same as `DATABASE_URL` (no routing)",
    )
    data_dir: Path = setting(
        "INSIGHTA_DATA_DIR",
        Path(".insighta"),
        "Embedded database, generated secret key and upload spool (`spool/`); a relative path"
        " is from the working directory.",
    )
    secret_key: Secret | None = setting(
        "SECRET_KEY", None, "Signs tokens.", unset="generated once, kept in the data dir"
    )
    web_concurrency: int = setting(
        "WEB_CONCURRENCY",
        1,
        "Server processes `insighta serve` runs when `--workers` is not given.",
        minimum=1,
    )
    token_ttl_seconds: int = setting(
        "TOKEN_TTL_SECONDS", 12 * 3600, "Lifetime of the (platform) admin token `serve` prints."
    )
    cors_origins: tuple[str, ...] = setting(
        "CORS_ORIGINS",
        (),
        "Browser origins allowed to call the API from another origin, comma-separated and exact"
        " (`https://app.example.com,http://localhost:5173`); `*` alone allows any origin, without"
        " credentials. The same list admits websockets (docs/api.md, Browser frontends).",
        unset="same origin only: no CORS headers, websockets from other origins refused",
        parse=lambda raw: parse_origins(raw),  # defined below, with the other parsers
    )
    graphql_introspection: bool = setting(
        "GRAPHQL_INTROSPECTION", True, "Answer schema introspection (GraphiQL needs it)."
    )
    # Request limits
    max_request_bytes: int = setting(
        "MAX_REQUEST_BYTES",
        1 << 20,
        "Largest request body other than an upload (a JSON document and its variables);"
        " larger is `PAYLOAD_TOO_LARGE` (413).",
    )
    rate_limit_per_minute: int = setting(
        "RATE_LIMIT_PER_MINUTE",
        300,
        "Operations per caller (user or token subject, else IP) per minute; 0: no limit.",
    )
    auth_rate_limit_per_minute: int = setting(
        "AUTH_RATE_LIMIT_PER_MINUTE",
        10,
        "Sign-in, sign-up, refresh and reset operations per IP per minute; 0: no limit.",
    )
    persisted_query_max_bytes: int = setting(
        "PERSISTED_QUERY_MAX_BYTES",
        64 << 20,
        "Bytes of persisted query texts kept per process, and in Redis when `REDIS_URL` is set"
        " (each entry also counts a fixed overhead; docs/security.md).",
    )
    max_upload_bytes: int = setting(
        "MAX_UPLOAD_BYTES",
        1 << 30,
        "Largest CSV accepted; at most 2 GiB - 1, as a job's byte counts are GraphQL `Int`s.",
        maximum=GRAPHQL_MAX_INT,
    )
    # Result cache
    redis_url: str | None = setting(
        "REDIS_URL",
        None,
        "Result cache shared by the server processes (`redis://host:port/db`).",
        unset="in-process, bounded",
    )
    cache_ttl_seconds: int = setting(
        "CACHE_TTL_SECONDS", 300, "Query result cache TTL; 0 turns the cache off."
    )
    # About 10 KB per cached 20-row page (50 KB at 100 rows): ~40-200 MB at most per process.
    cache_max_entries: int = setting(
        "CACHE_MAX_ENTRIES",
        4096,
        "Most results the in-process cache holds (least recently used out first).",
    )
    response_cache: bool = setting(
        "RESPONSE_CACHE",
        True,
        "Answer repeated cacheable queries from stored response bytes (docs/performance.md);"
        " off also when CACHE_TTL_SECONDS is 0.",
    )
    response_cache_max_bytes: int = setting(
        "RESPONSE_CACHE_MAX_BYTES",
        64 * 1024 * 1024,
        "Most bytes of stored responses, in the process or in Redis with REDIS_URL (least"
        " recently used out first).",
        minimum=65_536,
    )
    # CSV ingestion
    ingestion_workers: int = setting(
        "INGESTION_WORKERS",
        2,
        "CSV jobs run at once per server process; each uses one parse process and one database"
        " connection (the ingestion pool's size).",
        minimum=1,
    )
    ingestion_batch_rows: int | None = setting(
        "INGESTION_BATCH_ROWS",
        None,
        "Rows per committed batch: the unit of progress and of resuming.",
        unset="50,000 on one node, 150,000 on a Citus cluster (docs/ingestion.md)",
        minimum=1,
    )
    # Accounts; a lifetime of zero would issue tokens that are dead on arrival.
    access_token_ttl_seconds: int = setting(
        "ACCESS_TOKEN_TTL_SECONDS", 900, "Lifetime of an account's access token.", minimum=1
    )
    refresh_token_ttl_seconds: int = setting(
        "REFRESH_TOKEN_TTL_SECONDS",
        30 * 24 * 3600,
        "Lifetime of a refresh token (each rotation starts a new one).",
        minimum=1,
    )
    password_reset_ttl_seconds: int = setting(
        "PASSWORD_RESET_TTL_SECONDS", 1800, "Lifetime of a password reset link.", minimum=1
    )
    invitation_ttl_seconds: int = setting(
        "INVITATION_TTL_SECONDS", 7 * 24 * 3600, "Lifetime of an invitation link.", minimum=1
    )
    user_status_cache_seconds: float = setting(
        "USER_STATUS_CACHE_SECONDS",
        5.0,
        "How long a process remembers whether an account is active; 0: ask every time.",
    )
    app_url: str = setting(
        "APP_URL",
        "http://127.0.0.1:3000",
        "The web app the links in account emails point to (`/sign-in`,"
        " `/reset-password?token=`, `/sign-up?invitation=`); a trailing `/` is dropped.",
        parse=lambda raw: raw.rstrip("/"),
    )
    # Sign in with GitHub (docs/security.md); off unless both the client id and secret are set.
    github_client_id: str | None = setting(
        "GITHUB_CLIENT_ID",
        None,
        'Client id of the GitHub OAuth app behind "Sign in with GitHub".',
        unset="off: its routes and `signInWithGitHub` answer `NOT_FOUND`, not configured",
    )
    github_client_secret: Secret | None = setting(
        "GITHUB_CLIENT_SECRET",
        None,
        "Client secret of that GitHub OAuth app.",
        unset="GitHub sign-in is off",
    )
    github_oauth_base_url: str = setting(
        "GITHUB_OAUTH_BASE_URL",
        "https://github.com",
        "Host of GitHub's `/login/oauth/authorize` and `/login/oauth/access_token`.",
        parse=lambda raw: raw.rstrip("/"),
    )
    github_api_base_url: str = setting(
        "GITHUB_API_BASE_URL",
        "https://api.github.com",
        "GitHub's REST API host (`/user`, `/user/emails`).",
        parse=lambda raw: raw.rstrip("/"),
    )
    # Interviews and the outside services they call
    gemini_api_key: Secret | None = setting(
        "GEMINI_API_KEY", None, "Gemini API key.", unset="offline mode: a local deterministic AI"
    )
    gemini_base_url: str | None = setting(
        "GEMINI_BASE_URL", None, "Gemini API base URL.", unset="Google's"
    )
    gemini_model: str = setting("GEMINI_MODEL", "gemini-2.5-flash", "Gemini model.")
    gemini_embedding_model: str = setting(
        "GEMINI_EMBEDDING_MODEL",
        "gemini-embedding-001",
        "Gemini embedding model for the assistant's turn choice.",
    )
    resend_api_key: Secret | None = setting(
        "RESEND_API_KEY",
        None,
        "Resend API key.",
        unset="emails kept in the outbox as `LOGGED`",
    )
    resend_base_url: str | None = setting(
        "RESEND_BASE_URL",
        None,
        "Resend API base URL; the resend SDK's own `RESEND_API_URL` is read when this is unset.",
        unset="`https://api.resend.com`",
        alias="RESEND_API_URL",
    )
    email_from: str = setting(
        "EMAIL_FROM", "Insighta <no-reply@insighta.local>", "Sender of account emails."
    )
    livekit_url: str | None = setting(
        "LIVEKIT_URL",
        None,
        "LiveKit server URL.",
        unset="no room calls; tokens are still issued",
    )
    livekit_api_key: str | None = setting(
        "LIVEKIT_API_KEY",
        None,
        "LiveKit API key (server API and webhooks).",
        unset="`devkey`: dev keys unless key and secret are both set",
    )
    livekit_api_secret: Secret | None = setting(
        "LIVEKIT_API_SECRET",
        None,
        "LiveKit API secret (server API and webhooks).",
        unset="a dev secret derived from `SECRET_KEY`",
    )
    upstream_timeout_seconds: float = setting(
        "UPSTREAM_TIMEOUT_SECONDS",
        30.0,
        "Per-request timeout for Gemini, Resend, LiveKit, Genderize, Agify and Nationalize.",
    )
    # Profiles from names (docs/api.md, Profiles from names): each service whose base URL is
    # unset is answered by the deterministic local provider (services/demographics/offline.py).
    genderize_base_url: str | None = setting(
        "GENDERIZE_BASE_URL",
        None,
        "Genderize API base URL, e.g. `https://api.genderize.io`.",
        unset="offline: a deterministic local guess, `sampleSize` null",
        parse=lambda raw: raw.rstrip("/"),
    )
    agify_base_url: str | None = setting(
        "AGIFY_BASE_URL",
        None,
        "Agify API base URL, e.g. `https://api.agify.io`.",
        unset="offline: a deterministic local guess",
        parse=lambda raw: raw.rstrip("/"),
    )
    nationalize_base_url: str | None = setting(
        "NATIONALIZE_BASE_URL",
        None,
        "Nationalize API base URL, e.g. `https://api.nationalize.io`.",
        unset="offline: a deterministic local guess",
        parse=lambda raw: raw.rstrip("/"),
    )
    genderize_api_key: Secret | None = setting(
        "GENDERIZE_API_KEY",
        None,
        "The `apikey` sent to Genderize, Agify and Nationalize (one key serves all three).",
        unset="none: the free daily allowance",
    )
    interview_join_url: str = setting(
        "INTERVIEW_JOIN_URL",
        "http://127.0.0.1:3000/interviews/{interview_id}/join",
        "The join link in invitations; `{interview_id}` is replaced.",
    )
    # {"generate_assessment": {"tries": 5.0}}: the RETRY_<TASK>_<FIELD> family, not one variable.
    retry_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # Background jobs
    job_worker: bool = setting(
        "JOB_WORKER",
        True,
        "Run the background job worker in this process; `false` for API-only processes when"
        " another process (or host) runs the jobs.",
    )
    job_lease_seconds: float = setting(
        "JOB_LEASE_SECONDS",
        15.0,
        "How long a worker holds a job without renewing it (renewed every third); a killed"
        " process's job is taken over this long after.",
    )
    job_poll_seconds: float = setting(
        "JOB_POLL_SECONDS", 1.0, "How often an idle worker looks for jobs queued elsewhere."
    )
    retention_days: int = setting(
        "RETENTION_DAYS",
        30,
        "How long expired refresh tokens, password-reset links, unaccepted invitations and"
        " finished job rows are kept before housekeeping deletes them.",
    )
    housekeeping_interval_seconds: float = setting(
        "HOUSEKEEPING_INTERVAL_SECONDS",
        3600.0,
        "How often that purge runs (one process does it, whichever claims the job).",
    )
    # Observability
    log_format: LogFormat | None = setting(
        "LOG_FORMAT",
        None,
        "`console` (one readable line per event) or `json` (one JSON object per line, for log"
        " collectors).",
        unset="`console` when stderr is a terminal, else `json`",
        parse=lambda raw: _log_format(raw),
    )
    metrics_token: Secret | None = setting(
        "METRICS_TOKEN",
        None,
        "When set, `/metrics` answers only requests that send it as a bearer token.",
        unset="open",
    )
    metrics_multiprocess_dir: Path | None = setting(
        "PROMETHEUS_MULTIPROC_DIR",
        None,
        "Folder where the processes of one server write their metrics, so `/metrics` sums"
        " them (prometheus client's multiprocess mode).",
        unset="per process; `serve --workers N` sets it for its workers",
    )
    otel_endpoint: str | None = setting(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        None,
        "OTLP/HTTP collector for traces, e.g. `http://collector:4318` (needs the `otel` extra).",
        unset="no tracing",
    )
    otel_service_name: str = setting("OTEL_SERVICE_NAME", "insighta", "`service.name` on spans.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read every declared variable; raise one `SettingsError` naming each bad one."""
        env = os.environ if environ is None else environ
        values, problems = _read_declared(cls, env)
        try:
            values["retry_overrides"] = _retry_overrides(env)
        except SettingsError as error:
            problems.extend(error.problems)
        if problems:
            raise SettingsError(problems)
        return cls(**values)

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

    url: str | None = setting(
        "INSIGHTA_URL",
        None,
        "Where the client commands send requests.",
        unset="the URL `insighta serve` recorded in the data dir (`server.json`), else the stored"
        f" login's URL, else `{DEFAULT_CLIENT_URL}`",
    )
    token: Secret | None = setting(
        "INSIGHTA_TOKEN",
        None,
        "The client commands' bearer token.",
        unset="the stored login's (`~/.insighta/credentials.json`) when it is for that URL, else,"
        " for a server on this machine, a one-hour admin token signed with the data dir's key",
    )
    # From HOME, not a setting of its own.
    credentials_path: Path = field(default_factory=lambda: _credentials_path(Path.home()))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values, problems = _read_declared(cls, env)
        if problems:
            raise SettingsError(problems)
        home = env.get("HOME")
        return cls(
            **values, credentials_path=_credentials_path(Path(home) if home else Path.home())
        )


def declarations(cls: type[Any]) -> list[tuple[dataclasses.Field[Any], Declaration]]:
    """The declared fields of a settings class, in declaration order."""
    return [
        (item, item.metadata["setting"])
        for item in dataclasses.fields(cls)
        if "setting" in item.metadata
    ]


def declared(cls: type[Any], name: str) -> tuple[str, Any]:
    """The variable and the default of one declared field: `declared(Settings, "data_dir")` ->
    `("INSIGHTA_DATA_DIR", Path(".insighta"))`, for code that finds a setting without reading
    every one (the client commands' search for a server's data dir)."""
    for item, declaration in declarations(cls):
        if item.name == name:
            return declaration.env, item.default
    raise KeyError(name)


def value_type(item: dataclasses.Field[Any]) -> type:
    """`int` for `int`, `Secret` for `Secret | None`: the type an environment value becomes."""
    annotation = item.type
    if isinstance(annotation, types.UnionType):
        (annotation,) = (part for part in annotation.__args__ if part is not type(None))
    annotation = get_origin(annotation) or annotation  # tuple[str, ...] -> tuple
    assert isinstance(annotation, type), item.name
    return annotation


def _read_declared(cls: type[Any], env: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Values of the declared variables that are set, and a message for each bad one."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for item, declaration in declarations(cls):
        raw = env.get(declaration.env) or (env.get(declaration.alias) if declaration.alias else "")
        kind = value_type(item)
        # Whitespace alone leaves a switch at its default, as an empty value does.
        if not raw or (kind is bool and not raw.strip()):
            continue
        try:
            values[item.name] = _parse(kind, declaration, raw)
        except _BadValue as error:
            problems.append(f"{declaration.env} {error}")
    return values, problems


class _BadValue(Exception):
    """What is wrong with a value, said after the variable's name."""


def _parse(kind: type, declaration: Declaration, raw: str) -> object:
    if declaration.parse is not None:
        return declaration.parse(raw)
    if kind is bool:
        return _bool(raw)
    if kind is int:
        return _int(raw, declaration.minimum, declaration.maximum)
    if kind is float:
        return _float(raw, declaration.minimum)
    if kind is Secret:
        return Secret(raw)
    if kind is Path:
        return Path(raw)
    return raw


def _log_format(raw: str) -> LogFormat:
    value = raw.strip().lower()
    try:
        return LogFormat(value)
    except ValueError:
        choices = " or ".join(choice.value for choice in LogFormat)
        raise _BadValue(f"must be {choices}, got {value!r}") from None


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise _BadValue(f"must be true or false, got {value!r}")


def _int(raw: str, minimum: int, maximum: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _BadValue(f"must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise _BadValue(
            f"must be at least {minimum}, got {value}"
            if minimum
            else f"must not be negative, got {value}"
        )
    if maximum is not None and value > maximum:
        raise _BadValue(f"must be at most {maximum}, got {value}")
    return value


def _float(raw: str, minimum: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _BadValue(f"must be a number, got {raw!r}") from None
    if not value >= minimum or math.isinf(value):
        raise _BadValue(f"must be a finite number >= {minimum}, got {raw!r}")
    return value


def parse_origins(raw: str) -> tuple[str, ...]:
    """`CORS_ORIGINS`: "https://a.example, http://localhost:5173" -> both, as written.

    Browsers send `Origin` as scheme://host[:port] in lower case, with no path and no trailing
    slash, and compare it exactly: case is folded here, and anything else could never match,
    so it is refused at start-up rather than ignored on every request."""
    origins = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if "*" in origins and len(origins) > 1:
        raise _BadValue("`*` must stand alone (it already allows every origin)")
    for origin in origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin):
            raise _BadValue(
                f"must list origins as scheme://host[:port] (no path, no trailing `/`),"
                f" got {origin!r}"
            )
    return tuple(_without_default_port(origin) for origin in origins)


def _without_default_port(origin: str) -> str:
    """Browsers leave a scheme's default port out of `Origin`: `https://a.example:443` ->
    `https://a.example`."""
    for scheme, port in _DEFAULT_PORTS:
        if origin.startswith(scheme) and origin.endswith(port):
            return origin.removesuffix(port)
    return origin


def _retry_overrides(env: Mapping[str, str]) -> dict[str, dict[str, float]]:
    overrides: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    for name in sorted(env):
        match = _RETRY_ENV.match(name)
        if match is None or not env[name]:
            continue
        task, setting_name = match.group(1).lower(), match.group(2).lower()
        try:
            overrides.setdefault(task, {})[setting_name] = _float(env[name], 0)
        except _BadValue as error:
            problems.append(f"{name} {error}")
    if problems:
        raise SettingsError(problems)
    return overrides


def _credentials_path(home: Path) -> Path:
    return home / ".insighta" / "credentials.json"
