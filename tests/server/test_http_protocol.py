"""Each response leaves in one write; streaming, keep-alive, closing and websockets behave as
with uvicorn's own protocol."""

import asyncio
import socket
import sys
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from server.http_protocol import FLUSH_BYTES, CoalescingHttpToolsProtocol, CoalescingTransport
from tests.polling import eventually
from tests.servers import free_port


class RecordingTransport(asyncio.Transport):
    """What reached the socket, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0


async def _next_turn() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_writes_within_a_turn_leave_together_at_its_end() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(memoryview(b"body"))
    assert socket_side.writes == []
    assert transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    await _next_turn()
    assert socket_side.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.write(b"next")
    await _next_turn()
    assert socket_side.writes[1:] == [b"next"]


async def test_large_writes_and_closing_are_not_held_back() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"head")
    large = b"x" * FLUSH_BYTES
    transport.write(large)
    assert socket_side.writes == [b"head", large]
    transport.write(b"last words")
    transport.close()
    assert socket_side.writes[-1] == b"last words"
    assert socket_side.closed
    await _next_turn()  # the turn's flush finds nothing left
    assert len(socket_side.writes) == 3


async def test_small_writes_adding_up_to_a_large_one_leave_at_once() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    piece = b"y" * (FLUSH_BYTES // 4)
    for _ in range(4):
        transport.write(piece)
    assert socket_side.writes == [piece * 4]


async def test_a_large_body_is_passed_on_without_being_copied() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    body = b"x" * (16 * FLUSH_BYTES)
    tracemalloc.start()
    try:
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n")
        transport.write(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert socket_side.writes[-1] is body
    assert peak < len(body) // 2, peak


async def test_writelines_keeps_the_order_of_what_is_held() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"first ")
    transport.writelines([b"second ", b"third"])
    await _next_turn()
    assert socket_side.writes == [b"first second third"]


async def test_a_write_to_a_closing_transport_is_not_held() -> None:
    # The client sent its EOF and the transport is closing: written at once, as uvicorn's own
    # protocol writes, not held to the turn's end, when the connection may be gone.
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"held ")
    socket_side.closed = True
    transport.write(b"answer")
    assert socket_side.writes == [b"held ", b"answer"]


async def test_an_aborted_connection_writes_nothing_more() -> None:
    socket_side = RecordingTransport()
    transport = CoalescingTransport(socket_side, asyncio.get_running_loop())
    transport.write(b"never sent")
    transport.abort()
    await _next_turn()
    assert socket_side.writes == []
    assert socket_side.aborted


async def _page(_: Request) -> Response:
    return Response(b'{"data": {"page": [1, 2, 3]}}', media_type="application/json")


async def _stream(request: Request) -> StreamingResponse:
    size = int(request.query_params["size"])

    async def chunks() -> AsyncIterator[bytes]:
        for index in range(50):
            yield bytes([65 + index % 26]) * size
            if index % 10 == 0:
                await asyncio.sleep(0)

    return StreamingResponse(chunks(), media_type="text/plain")


async def _closing(_: Request) -> Response:
    return Response(b"bye", headers={"connection": "close"})


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text.upper())


APP = Starlette(
    routes=[
        Route("/page", _page, methods=["GET", "HEAD"]),
        Route("/stream", _stream),
        Route("/closing", _closing),
        WebSocketRoute("/echo", _echo),
    ]
)


class CountingProtocol(CoalescingHttpToolsProtocol):
    """Counts what reaches each connection's socket."""

    writes: ClassVar[list[int]] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        real_write = transport.write

        def counted(data: Any) -> None:
            CountingProtocol.writes.append(len(data))
            real_write(data)

        transport.write = counted  # type: ignore[method-assign]
        super().connection_made(transport)


@asynccontextmanager
async def serving() -> AsyncIterator[str]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    config = uvicorn.Config(
        APP, host="127.0.0.1", port=port, http=CountingProtocol, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, message="uvicorn to listen", within=10)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_small_answer_leaves_in_one_write_over_keep_alive() -> None:
    async with serving() as address, httpx.AsyncClient() as client:
        for _ in range(3):
            CountingProtocol.writes.clear()
            response = await client.get(f"http://{address}/page")
            assert response.json() == {"data": {"page": [1, 2, 3]}}
            assert len(CountingProtocol.writes) == 1
        head = await client.head(f"http://{address}/page")
        assert head.status_code == 200
        assert head.content == b""


@pytest.mark.parametrize("size", [10, 10_000, FLUSH_BYTES + 1])
async def test_streamed_answers_arrive_whole_and_in_order(size: int) -> None:
    expected = b"".join(bytes([65 + index % 26]) * size for index in range(50))
    async with serving() as address, httpx.AsyncClient() as client:
        response = await client.get(f"http://{address}/stream", params={"size": size})
        assert response.content == expected
        again = await client.get(f"http://{address}/page")
        assert again.status_code == 200


async def test_a_closing_answer_is_written_before_the_connection_closes() -> None:
    async with serving() as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /closing HTTP/1.1\r\nhost: x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)  # to the end: the server closed it
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert answer.endswith(b"\r\n\r\nbye")


@asynccontextmanager
async def serving_on_uvloop() -> AsyncIterator[str]:
    """The app in its own process on uvloop, the loop `insighta serve` runs on (the test's own
    loop is asyncio's, whose callbacks run in another order)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import uvicorn; from server.http_protocol import CoalescingHttpToolsProtocol;"
        f" uvicorn.run('tests.server.test_http_protocol:APP', port={port}, loop='uvloop',"
        " http=CoalescingHttpToolsProtocol, log_config=None, lifespan='off')",
    )
    try:

        async def listening() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return False
            writer.close()
            return True

        await eventually(listening, message="uvicorn on uvloop to listen", within=30)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


async def _ask_then_half_close(address: str, request: bytes) -> bytes:
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    writer.write_eof()  # the request and the end of what the client sends, in one burst
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_a_client_that_half_closes_after_its_request_gets_the_answer(loop: str) -> None:
    server = serving() if loop == "asyncio" else serving_on_uvloop()
    async with server as address:
        for _ in range(10):
            answer = await _ask_then_half_close(address, b"GET /page HTTP/1.1\r\nhost: x\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200 OK"), answer
            assert answer.endswith(b'{"data": {"page": [1, 2, 3]}}')
            answer = await _ask_then_half_close(address, b"GET /page HTTP/1.0\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200 OK"), answer


async def test_websockets_upgrade_and_talk() -> None:
    async with serving() as address, websockets.connect(f"ws://{address}/echo") as websocket:
        for word in ("hello", "again"):
            await websocket.send(word)
            assert await websocket.recv() == word.upper()
