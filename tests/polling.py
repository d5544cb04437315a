"""Waiting for something to become true, with a deadline instead of a guessed sleep."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    what: str,
    within: float = 30.0,
    interval: float = 0.02,
) -> T:
    """`probe()` until `done(result)`; fails naming `what` and the last result at the deadline."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {within}s waiting for {what}; last: {value!r}")
        await asyncio.sleep(interval)
