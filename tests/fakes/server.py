"""A small fake HTTP server on 127.0.0.1 (a free port) with scripted faults.

Each fake (Gemini, Resend, LiveKit) subclasses `FakeServer`, adds its routes and says how its
API spells an error. Tests script what the next requests get:

    fake.script(Fault.status(429, retry_after="0.2"), Fault.status(503))  # then normal again
    fake.fail_always(Fault.status(500))                                    # until fake.reset()

`Fault.slow(seconds)` answers normally but only after the delay (longer than the client's
timeout, the work is done but the client never sees the answer); `Fault.malformed()` answers
200 with a body that is not what the API promises. Every request is recorded with the
monotonic time it arrived, so tests can measure the waits between attempts.
"""

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Self

from aiohttp import web

Handler = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Fault:
    status_code: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    malformed_body: bytes | None = None

    @classmethod
    def status(cls, code: int, *, retry_after: str | None = None) -> Self:
        return cls(status_code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Self:
        return cls(delay=seconds)

    @classmethod
    def malformed(cls, body: bytes = b'{"not": "what was promised"') -> Self:
        return cls(malformed_body=body)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    fault: Fault | None


@dataclass
class FakeServer:
    """Subclasses call `route(method, path, handler)` in `routes()` and implement
    `error_response(status, retry_after)`."""

    requests: list[RecordedRequest] = field(default_factory=list)
    _script: deque[Fault] = field(default_factory=deque)
    _always: Fault | None = None
    _runner: web.AppRunner | None = None
    url: str = ""

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def error_response(self, status: int, retry_after: str | None) -> web.Response:
        raise NotImplementedError

    def malformed_response(self, body: bytes) -> web.Response:
        return web.Response(status=200, body=body, content_type="application/json")

    def script(self, *faults: Fault) -> None:
        """The next len(faults) requests get these, in order; later ones are answered normally."""
        self._script.extend(faults)

    def fail_always(self, fault: Fault) -> None:
        self._always = fault

    def reset(self) -> None:
        self._script.clear()
        self._always = None
        self.requests.clear()

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests (the client's waits, plus its own time)."""
        times = [request.at for request in self.requests]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    async def start(self) -> Self:
        app = web.Application()
        for method, path, handler in self.routes():
            app.router.add_route(method, path, self._wrap(handler))
        # Handlers still sleeping in a slow fault are not worth waiting for at close.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _next_fault(self) -> Fault | None:
        if self._script:
            return self._script.popleft()
        return self._always

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            fault = self._next_fault()
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    headers=dict(request.headers),
                    body=body,
                    at=time.monotonic(),
                    fault=fault,
                )
            )
            if fault is not None and fault.status_code is not None:
                return self.error_response(fault.status_code, fault.retry_after)
            if fault is not None and fault.malformed_body is not None:
                return self.malformed_response(fault.malformed_body)
            response = await handler(request, body)  # the work is done even when slow
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            return response

        return handle
