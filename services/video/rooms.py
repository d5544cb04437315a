"""LiveKit rooms behind a small protocol: the server API (livekit-api), or none offline.

`LiveKitAPI` opens an aiohttp session, which must happen inside a running event loop, so it
is built on first use (in a request or the lifespan), never at import or construction.
Failover (LiveKit's own retry) is off: the one retry policy retries. The SDK passes
`timeout=None` to each Twirp post, which aiohttp reads as "no timeout" (the session's timeout
is ignored), so each call is bounded here with `asyncio.timeout`. Its `ServerError` drops the
response headers, so our own session's trace hook keeps the answer's Retry-After for the
policy to wait exactly.
"""

import asyncio
from collections.abc import Mapping
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Final, Protocol

import aiohttp
from google.protobuf.message import DecodeError
from livekit.api import LiveKitAPI, ServerError
from livekit.protocol.room import CreateRoomRequest

from services.platform.retry import FailureKind, RetryPolicy, UpstreamFailure
from services.platform.retry_tasks import CREATE_ROOM
from services.platform.transport_errors import retry_after_header, transport_failure
from services.video.tokens import LiveKitKeys

# An empty room closes after this long; a room nobody joined after the departure timeout.
EMPTY_TIMEOUT_SECONDS: Final = 10 * 60
MAX_PARTICIPANTS: Final = 4

# The Retry-After of the last answer in this task (trace hooks run in the requesting task).
_retry_after: ContextVar[float | None] = ContextVar("livekit_retry_after", default=None)


async def _keep_retry_after(
    _: aiohttp.ClientSession, __: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    _retry_after.set(retry_after_header(params.response.headers))


class VideoRooms(Protocol):
    @property
    def url(self) -> str | None:
        """Where participants connect (None offline)."""

    async def create_room(self, name: str) -> None: ...

    async def aclose(self) -> None: ...


class OfflineRooms:
    """No LiveKit server configured: rooms exist only by name; tokens are still issued."""

    @property
    def url(self) -> str | None:
        return None

    async def create_room(self, name: str) -> None:
        return None

    async def aclose(self) -> None:
        return None


class LiveKitRooms:
    def __init__(
        self,
        *,
        url: str,
        keys: LiveKitKeys,
        timeout_seconds: float,
        policies: Mapping[str, RetryPolicy],
    ) -> None:
        self._url = url
        self._keys = keys
        self._timeout = timeout_seconds
        self._policy = policies[CREATE_ROOM]
        self._api: LiveKitAPI | None = None
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()

    @property
    def url(self) -> str | None:
        return self._url

    async def _client(self) -> LiveKitAPI:
        async with self._lock:
            if self._api is None:
                trace = aiohttp.TraceConfig()
                trace.on_request_end.append(_keep_retry_after)
                self._session = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self._timeout), trace_configs=[trace]
                )
                self._api = LiveKitAPI(
                    self._url,
                    self._keys.api_key,
                    self._keys.api_secret.reveal(),
                    session=self._session,
                    failover=False,
                )
            return self._api

    async def create_room(self, name: str) -> None:
        request = CreateRoomRequest(
            name=name, empty_timeout=EMPTY_TIMEOUT_SECONDS, max_participants=MAX_PARTICIPANTS
        )

        async def call() -> None:
            api = await self._client()
            _retry_after.set(None)
            try:
                async with asyncio.timeout(self._timeout):
                    room = await api.room.create_room(request)
            except ServerError as error:
                raise UpstreamFailure(
                    FailureKind.STATUS,
                    f"{error.code}: {error.message}",
                    status=error.status,
                    retry_after=_retry_after.get(),
                ) from error
            except DecodeError as error:
                raise UpstreamFailure(
                    FailureKind.MALFORMED, f"unreadable answer: {error}"
                ) from error
            except Exception as error:
                failure = transport_failure(error)
                if failure is None:
                    raise
                raise failure from error
            if room.name != name:
                raise UpstreamFailure(
                    FailureKind.MALFORMED, f"asked for room {name}, got {room.name!r}"
                )

        await self._policy.run(call)

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()
            self._api = None
        if self._session is not None:
            await self._session.close()
            self._session = None
