"""Waiting for an asyncio.Event with a time limit, without losing a cancellation."""

import asyncio
import contextlib


async def wait_at_most(event: asyncio.Event, seconds: float) -> None:
    """Until `event` is set or `seconds` have passed.

    Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that lands just as the event
    is set, so a loop told to stop (a worker, a subscription) would go on."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
