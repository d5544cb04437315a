"""Ctrl-C arriving inside a loop callback, as when it lands on a database connection that is
just completing, cancels the command without an asyncio error traceback."""

import asyncio
import logging
import signal
import threading

import pytest

from services.platform.interrupts import run_interruptibly


async def _wait_for_a_callback_interrupted_midway() -> None:
    loop = asyncio.get_running_loop()
    connected: asyncio.Future[None] = loop.create_future()

    def on_writable() -> None:
        # The shape of the selector loop's _sock_connect_cb: check, then set the result.
        if connected.cancelled():
            return
        signal.raise_signal(signal.SIGINT)
        connected.set_result(None)

    loop.call_soon(on_writable)
    await connected
    await asyncio.sleep(10)  # the interruption is delivered here at the latest


def test_ctrl_c_inside_a_callback_is_an_interruption_and_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="asyncio"), pytest.raises(KeyboardInterrupt):
        run_interruptibly(_wait_for_a_callback_interrupted_midway())
    assert caplog.records == []


def test_plain_asyncio_run_logs_an_invalid_state_error() -> None:
    """The trap the helper exists for (docs/architecture.md): asyncio.run's handler runs
    between bytecodes and cancels the future under the callback's feet."""
    seen: list[BaseException] = []
    loop_errors: list[dict[str, object]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: loop_errors.append(ctx))
        await _wait_for_a_callback_interrupted_midway()

    try:
        asyncio.run(main())
    except BaseException as error:  # KeyboardInterrupt or CancelledError, by version
        seen.append(error)
    assert seen
    assert [type(context.get("exception")) for context in loop_errors] == [
        asyncio.InvalidStateError
    ]


def test_a_result_comes_back_when_nothing_interrupts() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert run_interruptibly(answer()) == 42
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_off_the_main_thread_it_runs_as_asyncio_run() -> None:
    async def answer() -> int:
        return 7

    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(run_interruptibly(answer())))
    worker.start()
    worker.join()
    assert results == [7]
