"""The worker processes that parse and validate CSV, off the server's event loop.

Each running job borrows one parse process and talks to it over a pipe: a request goes in, a
batch comes back. Processes are started with `spawn` (forking a process that runs an event
loop and threads is unsafe), lower their own priority so that a large upload yields the CPU
to queries, and exit when their pipe closes (the server is gone). A process that dies (killed,
out of memory) surfaces as ParserCrashed at once, since its end of the pipe closes with it; it
is thrown away and the job resumes from its last checkpoint.

(`ProcessPoolExecutor` was the first choice; with a worker killed by SIGKILL it sometimes never
completed the pending future nor shut down, in CPython 3.11.)
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, TypeVar

from services.ingestion.batches import (
    BatchRequest,
    FileLayout,
    ParsedBatch,
    parse_batch,
    read_layout,
)

logger = logging.getLogger(__name__)

A = TypeVar("A")
T = TypeVar("T")

# Added to the server's niceness: the scheduler favours the server (and its queries).
WORKER_NICENESS: Final = 10
_STOP_SECONDS: Final = 5.0


class ParserCrashed(RuntimeError):
    """A parse process died mid-call; the work can be retried from the last checkpoint."""


class ParseProcess:
    """One spawned process serving parse calls, one at a time."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        self._process = context.Process(
            target=_serve, args=(theirs,), name="insighta-parse", daemon=True
        )
        # Ctrl-C in a terminal signals the whole process group. The server stops its parse
        # processes itself (its pipe closes), so they ignore SIGINT, from their first
        # instruction: a spawned child keeps the signal mask of the thread that started it, which
        # covers the imports before `_serve` runs.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        theirs.close()  # only the child holds its end: its death closes the pipe
        self._pipe = ours
        self.broken = False
        # True while a call's answer has not been read: such a process cannot be reused.
        self.busy = False

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    async def read_layout(self, path: Path) -> FileLayout:
        return await self._call(read_layout, path)

    async def parse_batch(self, request: BatchRequest) -> ParsedBatch:
        return await self._call(parse_batch, request)

    async def _call(self, function: Callable[[A], T], argument: A) -> T:
        ok, value = await asyncio.to_thread(self._round_trip, function, argument)
        if not ok:
            raise value
        result: T = value
        return result

    def _round_trip(self, function: Callable[[Any], Any], argument: object) -> tuple[bool, Any]:
        self.busy = True
        try:
            self._pipe.send((function, argument))
            answer: tuple[bool, Any] = self._pipe.recv()
        except (EOFError, OSError) as error:
            self.broken = True
            raise ParserCrashed(f"parse process {self.pid} died") from error
        self.busy = False
        return answer

    def stop(self) -> None:
        """Ask the process to exit; kill it if it does not."""
        with contextlib.suppress(OSError):
            self._pipe.send(None)
        self._process.join(_STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._pipe.close()


class ParserPool:
    """Parse processes for up to `processes` jobs at once, started on first use and reused."""

    def __init__(self, processes: int) -> None:
        self._idle: list[ParseProcess] = []
        self._slots = asyncio.Semaphore(processes)

    @contextlib.asynccontextmanager
    async def borrow(self) -> AsyncIterator[ParseProcess]:
        async with self._slots:
            worker = await self._take_idle()
            if worker is None:
                worker = await asyncio.to_thread(ParseProcess)
            try:
                yield worker
            finally:
                if worker.broken or worker.busy:
                    if worker.broken:
                        logger.warning("a parse process died", extra={"pid": worker.pid})
                    await asyncio.to_thread(worker.stop)
                else:
                    self._idle.append(worker)

    async def _take_idle(self) -> ParseProcess | None:
        """An idle process that is still alive: one killed while idle (out of memory, kill -9)
        would fail its next job's first call and cost that job an attempt."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            logger.warning("an idle parse process died", extra={"pid": worker.pid})
            await asyncio.to_thread(worker.stop)
        return None

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for worker in idle:
            await asyncio.to_thread(worker.stop)


def _serve(pipe: Connection) -> None:
    """The parse process: answer calls until the pipe closes or says stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # see ParseProcess.__init__
    os.nice(WORKER_NICENESS)
    while True:
        try:
            call = pipe.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if call is None:
            return
        function, argument = call
        try:
            answer: tuple[bool, Any] = (True, function(argument))
        except Exception as error:
            answer = (False, error)
        pipe.send(answer)
