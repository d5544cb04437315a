"""One GraphQL subscription over graphql-transport-ws, for `insighta ingest` to follow a job.

It yields each result as a GraphQL response body (`{"data": ...}` or `{"errors": [...]}`), so
cli/client.py turns them into data or a CommandError exactly as it does HTTP answers.
"""

from collections.abc import Iterator
from typing import Any, Final

import orjson
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from cli.errors import CommandError
from cli.exit_codes import ExitCode

GRAPHQL_TRANSPORT_WS: Final = Subprotocol("graphql-transport-ws")
ACK_SECONDS: Final = 30


class SubscriptionUnavailable(CommandError):
    """The websocket could not be used (a proxy, an old server): the caller falls back to
    polling, so this is reported only if it escapes."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.UNREACHABLE)


def subscribe(
    ws_url: str, init_payload: dict[str, str], query: str, variables: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Each result of the subscription until the server completes it or sends an error."""
    try:
        socket = connect(ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS], proxy=None)
    except (OSError, WebSocketException) as error:
        raise SubscriptionUnavailable(f"cannot open {ws_url}: {error}") from error
    with socket:
        try:
            socket.send(_json({"type": "connection_init", "payload": init_payload}))
            if orjson.loads(socket.recv(timeout=ACK_SECONDS)).get("type") != "connection_ack":
                raise SubscriptionUnavailable("the server did not acknowledge the websocket")
            payload = {"query": query, "variables": variables}
            socket.send(_json({"id": "1", "type": "subscribe", "payload": payload}))
            while True:
                message = orjson.loads(socket.recv())
                kind = message.get("type")
                if kind == "next":
                    yield message["payload"]
                elif kind == "error":
                    yield {"errors": message["payload"]}
                    return
                elif kind == "complete":
                    return
                elif kind == "ping":
                    socket.send(_json({"type": "pong"}))
        except (ConnectionClosed, TimeoutError, orjson.JSONDecodeError) as error:
            raise SubscriptionUnavailable(f"the websocket closed: {error}") from error


def _json(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()
