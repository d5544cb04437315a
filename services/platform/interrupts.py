"""Ctrl-C for the commands that run one coroutine to completion (migrate, seed, org, the
supervisor's preparation).

`asyncio.run` handles SIGINT with a Python signal handler, which runs between any two bytecodes:
it can cancel a future inside a callback that has just checked the future is still pending, and
the callback's `set_result` then logs an InvalidStateError traceback (the selector loop's
`_sock_connect_cb`, hit when Ctrl-C lands as a connection to the database completes). Handled
through the loop instead, the interruption runs as a callback of its own, between callbacks.
"""

import asyncio
import signal
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_interruptibly(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`; Ctrl-C cancels `main` and then raises KeyboardInterrupt here.
    Off the main thread (where signals never arrive) it is `asyncio.run(main)`."""
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(main)
    interrupted = False

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def interrupt() -> None:
            nonlocal interrupted
            interrupted = True
            task.cancel()

        loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            return await main
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
