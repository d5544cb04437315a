"""A small GraphQL client for the CLI's client commands: JSON requests, multipart uploads with
progress, and subscriptions over graphql-transport-ws."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import connect
from websockets.typing import Subprotocol

UPLOAD_CHUNK_BYTES: Final = 256 * 1024
TIMEOUT: Final = httpx.Timeout(30.0, read=300.0)
GRAPHQL_TRANSPORT_WS: Final = Subprotocol("graphql-transport-ws")


class ClientError(Exception):
    """The server refused a request or answered with errors; `code` is its extensions.code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class SubscriptionUnavailable(ClientError):
    """The websocket could not be used (a proxy, an old server): fall back to polling."""


class GraphQLClient:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        with httpx.Client(timeout=TIMEOUT) as http:
            response = http.post(
                self.url, json={"query": query, "variables": variables or {}}, headers=self._headers
            )
        return _data(response)

    def upload(
        self,
        query: str,
        path: Path,
        *,
        variable: str = "file",
        on_progress: Callable[[int], None] = lambda sent: None,
    ) -> dict[str, Any]:
        """Send `query` with `path` as the Upload variable `variable` (multipart request spec),
        streamed in chunks; `on_progress` gets the number of file bytes sent so far."""
        boundary = uuid.uuid4().hex
        operations = orjson.dumps({"query": query, "variables": {variable: None}})
        files_map = orjson.dumps({"0": [f"variables.{variable}"]})
        name = path.name.replace('"', "_")
        head = (
            _part(boundary, 'name="operations"', operations)
            + _part(boundary, 'name="map"', files_map)
            + f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n".encode()
        )
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = path.stat().st_size

        def body() -> Iterator[bytes]:
            yield head
            sent = 0
            with path.open("rb") as file:
                while chunk := file.read(UPLOAD_CHUNK_BYTES):
                    sent += len(chunk)
                    yield chunk
                    on_progress(sent)
            yield tail

        headers = {
            **self._headers,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
            "Apollo-Require-Preflight": "true",
        }
        with httpx.Client(timeout=TIMEOUT) as http:
            response = http.post(self.url, content=body(), headers=headers)
        return _data(response)

    def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Each `next` payload's data until the server completes the subscription."""
        ws_url = "ws" + self.url.removeprefix("http")
        try:
            socket = connect(ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS], proxy=None)
        except (OSError, WebSocketException) as error:
            raise SubscriptionUnavailable(f"cannot open {ws_url}: {error}") from error
        with socket:
            try:
                socket.send(_json({"type": "connection_init", "payload": self._headers}))
                if orjson.loads(socket.recv(timeout=30)).get("type") != "connection_ack":
                    raise SubscriptionUnavailable("the server did not acknowledge the websocket")
                socket.send(
                    _json(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": query, "variables": variables or {}},
                        }
                    )
                )
                while True:
                    message = orjson.loads(socket.recv())
                    kind = message.get("type")
                    if kind == "next":
                        yield _data_of(message["payload"])
                    elif kind == "error":
                        raise _error_of(message["payload"])
                    elif kind == "complete":
                        return
                    elif kind == "ping":
                        socket.send(_json({"type": "pong"}))
            except (ConnectionClosed, TimeoutError) as error:
                raise SubscriptionUnavailable(f"the websocket closed: {error}") from error


def _part(boundary: str, disposition: str, content: bytes) -> bytes:
    return f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + (
        content + b"\r\n"
    )


def _json(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def _data(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise ClientError(f"HTTP {response.status_code}: {response.text[:200]}") from None
    return _data_of(body)


def _data_of(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ClientError(f"unexpected answer: {body!r:.200}")
    if body.get("errors"):
        raise _error_of(body["errors"])
    data = body.get("data")
    if not isinstance(data, dict):
        raise ClientError("the answer holds no data")
    return data


def _error_of(errors: Any) -> ClientError:
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = (first.get("extensions") or {}).get("code") if isinstance(first, dict) else None
    message = first.get("message") if isinstance(first, dict) else None
    return ClientError(str(message or errors), code)
