"""The one retry policy for calls to outside services (Gemini, Resend, LiveKit), on `backoff`.

Exponential backoff with full jitter over each doubling: the bound before retry n (n = 1, 2,
...) is min(max_delay, initial_delay * 2 ** (n - 1)), so the first is the initial delay itself,
not twice it; the wait is drawn uniformly from the whole new interval, [0, bound 1] for the first
retry and [bound n-1, bound n] after it. Plain full jitter ([0, bound n] every time) lets a
later wait come out shorter than an earlier one; drawing over the new interval keeps every wait
random and within its bound and makes waits grow from one attempt to the next. Once the bound
reaches max_delay the draw is from [max_delay / 2, max_delay]. When the upstream names a
Retry-After, that exact value is the wait: the jitter runs inside our own wait generator and
backoff gets `jitter=None`, otherwise backoff would randomise the server's value
(docs/architecture.md, traps). Only failures that can succeed later are
retried: timeouts, connection errors, 408, 429 and 5xx; any other 4xx or a malformed answer
fails at once. One warning per failed attempt, one error on give-up, and the caller sees
`UPSTREAM_UNAVAILABLE`. The SDKs' own retries stay off so that retries never multiply.
"""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Any, Final, TypeVar

import backoff

from services.errors import ErrorCode, ServiceError
from services.platform.metrics import (
    record_upstream_call,
    record_upstream_give_up,
    record_upstream_retry,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
Jitter = Callable[[float], float]

RETRYABLE_STATUSES: Final = frozenset({408, 429})


class FailureKind(Enum):
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    STATUS = "status"
    MALFORMED = "malformed"


class UpstreamFailure(Exception):
    """What an adapter raises when an outside service failed: kind, HTTP status, Retry-After.

    Adapters translate their SDK's exceptions into this, so the policy never imports an SDK.
    """

    def __init__(
        self,
        kind: FailureKind,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        prefix = f"HTTP {self.status}" if self.status is not None else self.kind.value
        return f"{prefix}: {self.detail}"


def is_retryable(error: BaseException) -> bool:
    """Timeouts, connection errors, 408, 429 and 5xx can succeed later; nothing else can."""
    if isinstance(error, UpstreamFailure):
        if error.kind in (FailureKind.TIMEOUT, FailureKind.CONNECTION):
            return True
        if error.kind is FailureKind.STATUS and error.status is not None:
            return error.status in RETRYABLE_STATUSES or 500 <= error.status <= 599
        return False
    return isinstance(error, TimeoutError | ConnectionError)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date.

    "7" -> 7.0; "0.5" -> 0.5 (some servers send fractions); "Wed, 21 Oct 2015 07:28:00 GMT" ->
    seconds from `now` to then, never negative; anything unreadable -> None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """How one task retries: attempts in all, the first wait's bound, the cap on any wait.

    `attempt_timeout` bounds each attempt on top of the SDK's own timeout, so no attempt can
    hang; a Retry-After above `max_delay` is not waited for (the call gives up instead).
    """

    tries: int = 3
    initial_delay: float = 1.0
    max_delay: float = 30.0
    attempt_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.tries < 1:
            raise ValueError("tries must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def cap(self, retry_number: int) -> float:
        """The exponential bound before retry `retry_number` (1-based): initial * 2**(n-1)."""
        return float(min(self.max_delay, self.initial_delay * 2 ** (retry_number - 1)))

    def floor(self, retry_number: int) -> float:
        """Where retry `retry_number`'s draw starts: the previous bound (0 for the first), or
        half the cap once the bound stops growing."""
        if retry_number == 1:
            return 0.0
        previous, bound = self.cap(retry_number - 1), self.cap(retry_number)
        return previous if previous < bound else bound / 2


def wait_times(config: RetryConfig, jitter: Jitter) -> Generator[float, Any, None]:
    """backoff's wait generator: receives each failure (backoff sends it) and yields the wait.

    A Retry-After is yielded as is; otherwise floor + jitter(bound - floor), where `jitter(x)`
    draws from [0, x] (backoff.full_jitter; tests pass the identity to get the bounds).
    """
    retry_number = 0
    error = yield 0.0  # backoff primes the generator with send(None) before any failure
    while True:
        retry_number += 1
        retry_after = error.retry_after if isinstance(error, UpstreamFailure) else None
        if retry_after is not None:
            wait = retry_after
        else:
            floor = config.floor(retry_number)
            wait = floor + jitter(config.cap(retry_number) - floor)
        error = yield wait


def endless_waits(config: RetryConfig, jitter: Jitter = backoff.full_jitter) -> Iterator[float]:
    """The policy's waits with no end to the tries: for a connection that must come back (the
    LISTEN connection), which reconnects on this schedule rather than one of its own."""
    waits = wait_times(config, jitter)
    next(waits)
    while True:
        yield waits.send(None)


class RetryPolicy:
    """Runs one task's upstream call with the policy; `run` is the only entry point."""

    def __init__(
        self,
        task: str,
        config: RetryConfig,
        *,
        service: str = "upstream",
        jitter: Jitter = backoff.full_jitter,
    ):
        self.task = task
        self.config = config
        # Which outside service the task calls: the `service` label of the upstream metrics.
        self.service = service
        self._jitter = jitter

    def with_config(self, **changes: Any) -> "RetryPolicy":
        return RetryPolicy(
            self.task, replace(self.config, **changes), service=self.service, jitter=self._jitter
        )

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        on_attempt: Callable[[int], Awaitable[None]] | None = None,
    ) -> T:
        """`call()` until it succeeds, retrying transient failures; else UPSTREAM_UNAVAILABLE.

        `on_attempt(n)` runs before attempt n (background jobs count attempts with it). Errors
        that are not upstream failures (bugs) propagate unchanged.
        """
        config = self.config
        attempts = 0

        async def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if on_attempt is not None:
                await on_attempt(attempts)
            started = time.monotonic()
            try:
                async with asyncio.timeout(config.attempt_timeout):
                    result = await call()
            except TimeoutError:
                record_upstream_call(self.service, "error", time.monotonic() - started)
                raise UpstreamFailure(
                    FailureKind.TIMEOUT, f"no answer within {config.attempt_timeout:.2f}s"
                ) from None
            except BaseException:
                record_upstream_call(self.service, "error", time.monotonic() - started)
                raise
            record_upstream_call(self.service, "ok", time.monotonic() - started)
            return result

        def give_up(error: Exception) -> bool:
            if not is_retryable(error):
                return True
            retry_after = error.retry_after if isinstance(error, UpstreamFailure) else None
            return retry_after is not None and retry_after > config.max_delay

        retrying = backoff.on_exception(
            lambda: wait_times(config, self._jitter),
            Exception,
            max_tries=config.tries,
            giveup=give_up,
            jitter=None,
            on_backoff=self._log_retry,
            on_giveup=self._log_give_up,
            logger=None,
        )(attempt)
        try:
            return await retrying()
        except Exception as error:
            if not (isinstance(error, UpstreamFailure) or is_retryable(error)):
                raise
            raise upstream_unavailable(self.task, error) from error

    def _log_retry(self, details: Any) -> None:
        record_upstream_retry(self.service)
        error = details.get("exception")
        logger.warning(
            "attempt %d/%d failed for %s, retrying in %.2fs",
            details["tries"],
            self.config.tries,
            self.task,
            details["wait"],
            extra={
                "task": self.task,
                "attempt": details["tries"],
                "tries": self.config.tries,
                "wait_seconds": round(details["wait"], 3),
                "error": str(error),
            },
        )

    def _log_give_up(self, details: Any) -> None:
        record_upstream_give_up(self.service)
        error = details.get("exception")
        tries = details["tries"]
        if error is not None and not is_retryable(error):
            reason = "not retryable"
        elif (
            isinstance(error, UpstreamFailure) and (error.retry_after or 0) > self.config.max_delay
        ):
            reason = f"Retry-After {error.retry_after:.2f}s is above {self.config.max_delay:.2f}s"
        else:
            reason = "no attempts left"
        logger.error(
            "attempt %d/%d failed for %s, giving up (%s): %s",
            tries,
            self.config.tries,
            self.task,
            reason,
            error,
            extra={"task": self.task, "attempt": tries, "tries": self.config.tries},
        )


def upstream_unavailable(task: str, error: BaseException) -> ServiceError:
    return ServiceError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        f"{task} is unavailable right now ({error}); try again later",
    )
