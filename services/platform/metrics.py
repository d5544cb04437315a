"""Every Prometheus metric Insighta exposes on `/metrics`, defined once, here.

Metric objects are process-wide by nature (one registry per process, scraped as a whole), so
they live at module level like loggers. Label values are bounded: operation names pass
through `operation_label`, error codes through `error_code_label`, everything else comes from
fixed sets in our code. docs/operations.md lists them.

The helpers at the bottom are called from the result cache (services/platform/cache.py), the
ingestion pipeline and the outside-service adapters (through the retry policy).
"""

import re
from pathlib import Path
from typing import Any, Final

import psutil
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from services.errors import ErrorCode

_LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

GRAPHQL_OPERATION_SECONDS: Final = Histogram(
    "insighta_graphql_operation_duration_seconds",
    "Time to answer one GraphQL operation, by operation name and type.",
    ["operation", "type"],
    buckets=_LATENCY_BUCKETS,
)
GRAPHQL_ERRORS: Final = Counter(
    "insighta_graphql_errors_total",
    "Errors in GraphQL responses, by extensions.code.",
    ["code"],
)
HTTP_REQUEST_SECONDS: Final = Histogram(
    "insighta_http_request_duration_seconds",
    "Time from request to the end of the response, by route template and status class.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
# Gauges add up over live processes when several serve (`serve --workers N`, multiprocess mode).
DB_POOL_CONNECTIONS: Final = Gauge(
    "insighta_db_pool_connections",
    "Connections in the asyncpg pools: open (size), idle, and the most they may open (max).",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
EXPORT_BYTES: Final = Counter(
    "insighta_export_bytes_total", "CSV bytes streamed by profile exports."
)
EXPORTS_ACTIVE: Final = Gauge(
    "insighta_exports_active", "Profile exports streaming right now.", multiprocess_mode="livesum"
)
CACHE_LOOKUPS: Final = Counter(
    "insighta_cache_lookups_total",
    "Result-cache lookups by cache name and result (hit or miss).",
    ["cache", "result"],
)
INGESTION_ROWS: Final = Counter(
    "insighta_ingestion_rows_total",
    "CSV rows ingested, by outcome: inserted, or the skip reason (duplicate_name, ...).",
    ["outcome"],
)
INGESTION_STAGE_SECONDS: Final = Counter(
    "insighta_ingestion_stage_seconds_total",
    "Seconds ingestion spent per stage of its batches: parse_wait, staging_copy, insert, "
    "duplicates, bookkeeping, commit, rest.",
    ["stage"],
)
UPSTREAM_CALLS: Final = Counter(
    "insighta_upstream_calls_total",
    "Attempts at outside-service calls (gemini, resend, livekit) by outcome (ok, error), "
    "and calls given up (gave_up).",
    ["service", "outcome"],
)
UPSTREAM_RETRIES: Final = Counter(
    "insighta_upstream_retries_total",
    "Retries of outside-service calls after a transient failure.",
    ["service"],
)
UPSTREAM_CALL_SECONDS: Final = Histogram(
    "insighta_upstream_call_duration_seconds",
    "Duration of one attempt at an outside-service call.",
    ["service"],
    buckets=_LATENCY_BUCKETS,
)
# Counted so that operators (and tests) can see that an unknown address costs the same argon2
# work as a known one: services/accounts/sessions.py and signup.py rely on that.
PASSWORD_HASHING: Final = Counter(
    "insighta_password_hashing_total",
    "argon2 operations on passwords: hash (new or changed password), verify (sign-in).",
    ["operation"],
)

# Client-chosen operation names would otherwise make one time series per distinct string.
MAX_OPERATION_LABELS: Final = 200
_OPERATION_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_seen_operations: set[str] = set()
_ERROR_CODES: Final = frozenset(code.value for code in ErrorCode)


def operation_label(name: str | None) -> str:
    """A bounded label for an operation name: `anonymous`, `invalid`, `other` past the cap."""
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.fullmatch(name):
        return "invalid"
    if name not in _seen_operations:
        if len(_seen_operations) >= MAX_OPERATION_LABELS:
            return "other"
        _seen_operations.add(name)
    return name


def error_code_label(code: object) -> str:
    return code if isinstance(code, str) and code in _ERROR_CODES else "OTHER"


def record_operation(name: str | None, kind: str, seconds: float) -> None:
    """One GraphQL operation answered, executed or from the response cache."""
    key = (name, kind)
    histogram = _operation_histograms.get(key)
    if histogram is None:
        histogram = GRAPHQL_OPERATION_SECONDS.labels(operation=operation_label(name), type=kind)
        if len(_operation_histograms) < MAX_OPERATION_LABELS * 4:
            _operation_histograms[key] = histogram
    histogram.observe(seconds)


# Each (name, type)'s histogram, looked up once: `labels()` checks and locks on every call
# (~2% of an uncached page). Bounded like the labels themselves.
_operation_histograms: dict[tuple[str | None, str], Any] = {}


def record_cache_lookup(cache: str, *, hit: bool) -> None:
    CACHE_LOOKUPS.labels(cache=cache, result="hit" if hit else "miss").inc()


def record_ingestion_stage(stage: str, seconds: float) -> None:
    """`stage` is one of the fixed names in INGESTION_STAGE_SECONDS' help."""
    INGESTION_STAGE_SECONDS.labels(stage=stage).inc(seconds)


def record_ingested_rows(outcome: str, count: int = 1) -> None:
    """`outcome` is "inserted" or a skip reason from docs/ingestion.md (a fixed set)."""
    INGESTION_ROWS.labels(outcome=outcome).inc(count)


def record_upstream_call(service: str, outcome: str, seconds: float) -> None:
    UPSTREAM_CALLS.labels(service=service, outcome=outcome).inc()
    UPSTREAM_CALL_SECONDS.labels(service=service).observe(seconds)


def record_upstream_give_up(service: str) -> None:
    """The call as a whole failed: its caller sees UPSTREAM_UNAVAILABLE (or the error)."""
    UPSTREAM_CALLS.labels(service=service, outcome="gave_up").inc()


def record_upstream_retry(service: str) -> None:
    UPSTREAM_RETRIES.labels(service=service).inc()


def record_password_hashing(operation: str) -> None:
    """`operation` is "hash" or "verify"."""
    PASSWORD_HASHING.labels(operation=operation).inc()


def exposition(multiprocess_dir: Path | None) -> bytes:
    """What `/metrics` answers: this process's metrics, or with `multiprocess_dir` (every
    worker of `serve --workers N` writes its values there) the sum over all of them, so a
    scrape means the same whichever worker it reaches."""
    if multiprocess_dir is None:
        return generate_latest(REGISTRY)
    _forget_dead_processes(multiprocess_dir)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def _forget_dead_processes(directory: Path) -> None:
    """A worker that died (and was replaced) must not keep counting in the live gauges; its
    counters and histograms stay, as Prometheus expects of counters."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rpartition("_")[2])
        if not psutil.pid_exists(pid):
            multiprocess.mark_process_dead(pid, path=str(directory))  # type: ignore[no-untyped-call]
