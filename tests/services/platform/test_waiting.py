"""Waiting for an event with a time limit: set, timed out, and cancelled at the worst moment."""

import asyncio
import time

import pytest

from services.platform.waiting import wait_at_most


async def test_returns_when_the_event_is_set() -> None:
    event = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, event.set)
    started = time.monotonic()
    await wait_at_most(event, 30)
    assert time.monotonic() - started < 5


async def test_returns_after_the_time_limit_without_the_event() -> None:
    started = time.monotonic()
    await wait_at_most(asyncio.Event(), 0.05)
    assert time.monotonic() - started >= 0.05


@pytest.mark.parametrize("turns_between", [0, 1, 2])
async def test_an_accepted_cancel_of_a_wait_is_never_swallowed(turns_between: int) -> None:
    # Python 3.11's wait_for returns the inner result when the cancellation arrives just after
    # the inner wait finished, swallowing it: a subscription the client completed (its task
    # cancelled) then went on sending `next` until the job ended, and a worker told to stop
    # went on polling.
    event = asyncio.Event()
    waiting = asyncio.create_task(wait_at_most(event, 60))
    await asyncio.sleep(0)
    event.set()
    for _ in range(turns_between):
        await asyncio.sleep(0)
    if waiting.cancel():  # False only when the wait had already returned
        with pytest.raises(asyncio.CancelledError):
            await waiting
    else:
        assert waiting.result() is None
