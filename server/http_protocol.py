"""uvicorn's httptools protocol, writing each response in one piece.

uvicorn writes a response's status line and headers when the app sends `http.response.start`,
and its body when the app sends `http.response.body`: two `send()` system calls, two TCP
segments, and on the client's side often two reads, for every small answer. Here a
connection's writes within one turn of the event loop are joined and written together at the
end of that turn: a page answer leaves in one segment, as PostGraphile's (Node's) do. (Writing
the join at once, when the body comes, cost 12% more server CPU per page: the request's own
work after its answer, the access log and metrics, then ran after the client was woken.)
Large writes are never held or copied into a join (`FLUSH_BYTES`), and nothing is held across
a turn, so streaming answers and flow control behave as before. Once the client has sent its
EOF (the transport then closes itself), what is held is written at once, and so is every
later write, as uvicorn's own protocol writes them. docs/performance.md ("The lean path") has
the figures.
"""

import asyncio
from collections.abc import Iterable
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Pending writes at least this large are written at once: coalescing is for small answers.
FLUSH_BYTES: Final = 64 * 1024


class CoalescingTransport:
    """A transport whose writes are held until the end of the event loop's turn, then written
    as one; every other call goes to the transport it wraps (flushing first where order
    matters)."""

    __slots__ = ("_loop", "_pending", "_pending_bytes", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._pending_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if len(data) >= FLUSH_BYTES or self._transport.is_closing():
            # Large (joining would copy it), or the connection is ending (the client sent its
            # EOF: the transport closes and would drop what is held at the turn's end): what
            # is held goes first, then this, as uvicorn would write it.
            self.flush(closing=True)
            self._transport.write(data)
            return
        if self._pending is None:
            self._pending = [bytes(data)]
            self._pending_bytes = len(data)
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(bytes(data))
            self._pending_bytes += len(data)
        if self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self, *, closing: bool = False) -> None:
        """Writes what is held; at the turn's end (`closing` False) only to an open
        transport, since the connection may be gone by then."""
        pending, self._pending = self._pending, None
        if pending and (closing or not self._transport.is_closing()):
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + (
            self._pending_bytes if self._pending is not None else 0
        )

    def close(self) -> None:
        self.flush(closing=True)
        self._transport.close()

    def abort(self) -> None:
        self._pending = None
        self._transport.abort()

    def write_eof(self) -> None:
        self.flush(closing=True)
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.real_transport = transport
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def eof_received(self) -> None:
        # The transport closes itself when this returns: what is held goes out first.
        assert isinstance(self.transport, CoalescingTransport)
        self.transport.flush(closing=True)
        super().eof_received()

    def handle_websocket_upgrade(self) -> None:
        # The websocket protocol gets the socket's own transport: nothing is pending yet (the
        # upgrade answer is the websocket protocol's to write).
        assert isinstance(self.transport, CoalescingTransport)
        self.transport.flush()
        self.transport = self.real_transport
        super().handle_websocket_upgrade()
