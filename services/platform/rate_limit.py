"""Fixed-window request limits per caller, kept where the result cache keeps its values: in
this process, or in Redis (shared by every process) when REDIS_URL is set.

A window is `window_seconds` long and numbered from the epoch, so every process agrees on
where it starts. `check` counts one request and refuses it with RATE_LIMITED, saying how long
until the window ends, once the caller is over the limit. If the backend fails, requests are
let through (and the failure logged): a broken Redis must not take the API down with it.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from services.errors import ErrorCode, ServiceError
from services.platform.cache import Backend, build_backend
from services.platform.settings import Settings

logger = logging.getLogger(__name__)

NAMESPACE: Final = "insighta-rate"
# Distinct (caller, window) counters kept in memory; the oldest are dropped first.
MAX_COUNTERS: Final = 100_000


class RateLimited(ServiceError):
    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(ErrorCode.RATE_LIMITED, message)
        self.retry_after_seconds = retry_after_seconds

    @property
    def extensions(self) -> dict[str, str]:
        return super().extensions | {"retryAfter": str(self.retry_after_seconds)}


@dataclass(frozen=True, slots=True)
class RateLimit:
    requests: int  # 0: no limit
    window_seconds: int = 60


class RateLimiter:
    def __init__(self, backend: Backend, *, clock: Callable[[], float] = time.time) -> None:
        self._backend = backend
        self._clock = clock

    async def check(self, bucket: str, caller: str, limit: RateLimit, *, cost: int = 1) -> None:
        """Count `cost` requests by `caller` against `bucket`; RateLimited when over the limit."""
        if limit.requests <= 0 or cost <= 0:
            return
        now = self._clock()
        window = int(now // limit.window_seconds)
        key = f"{bucket}:{caller}:{window}"
        try:
            count = await self._backend.cache.increment(key, cost)
            if count == cost:
                # Twice the window: the key outlives any clock skew between processes.
                await self._backend.cache.expire(key, 2 * limit.window_seconds)
        except self._backend.errors:
            logger.warning("rate limit store failed; request let through", exc_info=True)
            return
        if count > limit.requests:
            retry_after = max(1, math.ceil((window + 1) * limit.window_seconds - now))
            raise RateLimited(
                f"too many requests ({limit.requests} per {limit.window_seconds} s):"
                f" try again in {retry_after} s",
                retry_after_seconds=retry_after,
            )

    async def close(self) -> None:
        await self._backend.cache.close()


def build_rate_limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(build_backend(settings, namespace=NAMESPACE, max_entries=MAX_COUNTERS))
