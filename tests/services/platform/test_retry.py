"""The one retry policy: waits, Retry-After, what is retried, logging, the caller's error.

Waits are read from the generator backoff drives (no sleeping at all) or run with delays of a
few hundredths of a second; the jitter is injected where a test needs exact numbers.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.errors import ErrorCode, ServiceError
from services.platform.retry import (
    FailureKind,
    Jitter,
    RetryConfig,
    RetryPolicy,
    UpstreamFailure,
    is_retryable,
    parse_retry_after,
    wait_times,
)

NO_JITTER = float  # the identity: each wait is the exponential bound itself


def status(code: int, retry_after: float | None = None) -> UpstreamFailure:
    return UpstreamFailure(FailureKind.STATUS, "boom", status=code, retry_after=retry_after)


def waits(
    config: RetryConfig, failures: list[BaseException], jitter: Jitter = NO_JITTER
) -> list[float]:
    generator = wait_times(config, jitter)
    generator.send(None)  # what backoff does before the first attempt
    return [generator.send(failure) for failure in failures]


def test_first_wait_is_the_initial_delay_then_doubles_up_to_the_cap() -> None:
    config = RetryConfig(tries=6, initial_delay=2.0, max_delay=10.0)
    assert waits(config, [status(503)] * 5) == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_spans_each_new_doubling_interval() -> None:
    config = RetryConfig(tries=6, initial_delay=1.0, max_delay=8.0)
    spans: list[float] = []

    def quarter_of_the_span(span: float) -> float:
        spans.append(span)
        return span * 0.25

    waits_seen = waits(config, [status(500)] * 5, quarter_of_the_span)
    assert spans == [1.0, 1.0, 2.0, 4.0, 4.0]  # [0,1], [1,2], [2,4], [4,8], then [4,8] at the cap
    assert waits_seen == [0.25, 1.25, 2.5, 5.0, 5.0]


@given(st.lists(st.sampled_from([500, 502, 503, 429, 408]), min_size=2, max_size=8))
def test_random_waits_stay_within_their_bound_and_keep_growing(codes: list[int]) -> None:
    config = RetryConfig(tries=9, initial_delay=0.5, max_delay=5.0)
    policy_waits = waits(config, [status(code) for code in codes], RetryPolicy("t", config)._jitter)
    for number, wait in enumerate(policy_waits, start=1):
        assert config.floor(number) <= wait <= config.cap(number)
    growing = [wait for number, wait in enumerate(policy_waits, 1) if config.cap(number) < 5.0]
    assert growing == sorted(growing)


def test_retry_after_is_the_wait_exactly_and_is_not_jittered() -> None:
    config = RetryConfig(tries=4, initial_delay=1.0, max_delay=30.0)

    def jitter_that_would_halve(bound: float) -> float:
        return bound / 2

    failures: list[BaseException] = [status(429, 7.0), status(503), status(429, 3.0)]
    assert waits(config, failures, jitter_that_would_halve) == [7.0, 1.5, 3.0]


def test_parse_retry_after_reads_seconds_fractions_and_http_dates() -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0.5 ") == 0.5
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, now=now) == 42.0
    earlier = format_datetime(now - timedelta(seconds=5), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0
    assert parse_retry_after("-3") == 0.0
    for unreadable in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(unreadable) is None


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(code: int) -> None:
    assert is_retryable(status(code))


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 413, 422])
def test_other_client_errors_are_never_retried(code: int) -> None:
    assert not is_retryable(status(code))


def test_timeouts_and_connection_errors_are_retried_malformed_answers_are_not() -> None:
    assert is_retryable(UpstreamFailure(FailureKind.TIMEOUT, "slow"))
    assert is_retryable(UpstreamFailure(FailureKind.CONNECTION, "refused"))
    assert is_retryable(TimeoutError())
    assert is_retryable(ConnectionResetError())
    assert not is_retryable(UpstreamFailure(FailureKind.MALFORMED, "garbage"))
    assert not is_retryable(KeyError("a bug"))


class Script:
    """An upstream call that fails with the given errors, in order, then answers "ok"."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def fast_policy(
    *, tries: int = 3, max_delay: float = 0.05, attempt_timeout: float | None = None
) -> RetryPolicy:
    config = RetryConfig(
        tries=tries, initial_delay=0.01, max_delay=max_delay, attempt_timeout=attempt_timeout
    )
    return RetryPolicy("generate assessment", config, jitter=NO_JITTER)


async def test_retried_then_succeeded_logs_one_warning_per_failed_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    call = Script(status(503), status(500))
    with caplog.at_level(logging.WARNING, logger="services.platform.retry"):
        assert await fast_policy().run(call) == "ok"
    assert call.calls == 3
    assert [record.getMessage() for record in caplog.records] == [
        "attempt 1/3 failed for generate assessment, retrying in 0.01s",
        "attempt 2/3 failed for generate assessment, retrying in 0.02s",
    ]
    assert all(record.levelno == logging.WARNING for record in caplog.records)


async def test_message_format_with_a_two_second_wait(caplog: pytest.LogCaptureFixture) -> None:
    call = Script(status(429, retry_after=0.0))
    policy = RetryPolicy("generate assessment", RetryConfig(tries=3, initial_delay=2.0))
    with caplog.at_level(logging.WARNING, logger="services.platform.retry"):
        await policy.run(call)
    assert caplog.records[0].getMessage() == (
        "attempt 1/3 failed for generate assessment, retrying in 0.00s"
    )
    assert caplog.records[0].__dict__["wait_seconds"] == 0.0
    assert waits(policy.config, [status(503)]) == [2.0]  # and this is the "2.00s" case


async def test_retried_then_failed_is_upstream_unavailable_with_one_error_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    call = Script(status(503), status(503), status(503), status(503))
    with (
        caplog.at_level(logging.WARNING, logger="services.platform.retry"),
        pytest.raises(ServiceError) as raised,
    ):
        await fast_policy().run(call)
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "generate assessment" in str(raised.value)
    assert "503" in str(raised.value)
    assert call.calls == 3
    levels = [record.levelno for record in caplog.records]
    assert levels == [logging.WARNING, logging.WARNING, logging.ERROR]
    assert (
        caplog.records[-1]
        .getMessage()
        .startswith("attempt 3/3 failed for generate assessment, giving up (no attempts left)")
    )


async def test_a_400_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    call = Script(status(400))
    with (
        caplog.at_level(logging.WARNING, logger="services.platform.retry"),
        pytest.raises(ServiceError) as raised,
    ):
        await fast_policy().run(call)
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert call.calls == 1
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert "not retryable" in caplog.records[0].getMessage()


async def test_a_retry_after_above_the_cap_gives_up_instead_of_waiting_less() -> None:
    call = Script(status(429, retry_after=120.0))
    with pytest.raises(ServiceError):
        await fast_policy(max_delay=0.05).run(call)
    assert call.calls == 1


async def test_each_attempt_is_announced_before_it_runs() -> None:
    seen: list[int] = []

    async def on_attempt(number: int) -> None:
        seen.append(number)

    await fast_policy().run(Script(status(502)), on_attempt=on_attempt)
    assert seen == [1, 2]


async def test_a_hanging_attempt_is_cut_off_and_retried() -> None:
    calls = 0

    async def hangs_once() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(10)
        return "ok"

    assert await fast_policy(attempt_timeout=0.05).run(hangs_once) == "ok"
    assert calls == 2


async def test_errors_that_are_not_upstream_failures_propagate_unchanged() -> None:
    with pytest.raises(KeyError):
        await fast_policy().run(Script(KeyError("bug")))


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="tries"):
        RetryConfig(tries=0)
    with pytest.raises(ValueError, match="negative"):
        RetryConfig(initial_delay=-1)
