"""Metric labels stay bounded whatever clients send; the cache and the retry policy count."""

import uuid

import pytest
from prometheus_client import REGISTRY

from services.errors import ServiceError
from services.platform import metrics
from services.platform.cache import build_result_cache
from services.platform.retry import FailureKind, RetryConfig, RetryPolicy, UpstreamFailure
from services.platform.settings import Settings


def test_operation_names_become_bounded_labels() -> None:
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("") == "anonymous"
    assert metrics.operation_label("Tour") == "Tour"
    assert metrics.operation_label("x" * 65) == "invalid"
    assert metrics.operation_label("drop table;") == "invalid"


def test_past_the_cap_new_operation_names_are_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_seen_operations", {"Tour"})  # leave the real set alone
    for index in range(metrics.MAX_OPERATION_LABELS):
        metrics.operation_label(f"Flood{index}")
    assert metrics.operation_label("OneMoreNewName") == "other"
    assert metrics.operation_label("Tour") == "Tour", "names seen before keep their label"


def test_unknown_error_codes_are_other() -> None:
    assert metrics.error_code_label("FORBIDDEN") == "FORBIDDEN"
    assert metrics.error_code_label("SOMETHING_ELSE") == "OTHER"
    assert metrics.error_code_label(None) == "OTHER"


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class _Text:
    def dumps(self, value: str) -> bytes:
        return value.encode()

    def loads(self, data: bytes) -> str:
        return data.decode()


class _FixedVersion:
    async def current(self) -> str:
        return "test:1"


async def test_the_result_cache_counts_its_hits_and_misses() -> None:
    hit, miss = {"cache": "results", "result": "hit"}, {"cache": "results", "result": "miss"}
    before = (
        _sample("insighta_cache_lookups_total", hit),
        _sample("insighta_cache_lookups_total", miss),
    )
    cache = build_result_cache(Settings(cache_ttl_seconds=60), _FixedVersion())

    async def compute() -> str:
        return "answer"

    for _ in range(3):
        assert await cache.get_or_compute(f"metrics-{uuid.uuid4()}", compute, _Text()) == "answer"
    key = f"metrics-{uuid.uuid4()}"
    await cache.get_or_compute(key, compute, _Text())
    await cache.get_or_compute(key, compute, _Text())
    after = (
        _sample("insighta_cache_lookups_total", hit),
        _sample("insighta_cache_lookups_total", miss),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (1, 4)


async def test_the_retry_policy_counts_attempts_retries_and_give_ups() -> None:
    def counts() -> tuple[float, ...]:
        return (
            _sample("insighta_upstream_calls_total", {"service": "resend", "outcome": "ok"}),
            _sample("insighta_upstream_calls_total", {"service": "resend", "outcome": "error"}),
            _sample("insighta_upstream_calls_total", {"service": "resend", "outcome": "gave_up"}),
            _sample("insighta_upstream_retries_total", {"service": "resend"}),
            _sample("insighta_upstream_call_duration_seconds_count", {"service": "resend"}),
        )

    policy = RetryPolicy(
        "send email",
        RetryConfig(tries=2, initial_delay=0.001, max_delay=0.001),
        service="resend",
        jitter=lambda bound: bound,
    )
    failures = [UpstreamFailure(FailureKind.STATUS, "busy", status=503)]

    async def flaky() -> str:
        if failures:
            raise failures.pop()
        return "sent"

    async def down() -> str:
        raise UpstreamFailure(FailureKind.CONNECTION, "refused")

    before = counts()
    assert await policy.run(flaky) == "sent"
    with pytest.raises(ServiceError):
        await policy.run(down)
    after = counts()
    # flaky: error, retry, ok; down: error, retry, error, gave up.
    assert tuple(b - a for a, b in zip(before, after, strict=True)) == (1, 3, 1, 2, 4)
