"""Waiting for a condition with a deadline, instead of guessed sleeps."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    until: Callable[[T], bool] = bool,
    *,
    within: float = 30.0,
    interval: float = 0.02,
    message: str = "condition",
) -> T:
    """Call `probe` until `until(result)` holds; fail with `message` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {within}s (last: {result!r})")
        await asyncio.sleep(interval)
