"""Websocket frames as graphql-transport-ws clients expect them: JSON in text frames, and a
malformed `subscribe` closed with the protocol's 4400. (A token that expired since
connection_init is refused per operation by graph/core/permissions.py.)"""

from collections.abc import Mapping
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from graph.core.context import Context
from graph.extensions.limits import document_too_long


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry sends whatever `encode_json` returns; ours returns bytes (orjson), which
    would go out as binary frames, and browser clients (graphql-ws) cannot parse those."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry indexes the subscribe payload unchecked: a payload that is not an object
    crashed the connection (1006), and `variables` or `operationName` of the wrong type were
    ignored or failed later. The protocol says an invalid message closes with 4400."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        reason = _invalid_subscribe(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        too_long = document_too_long(message["payload"]["query"])
        if too_long is not None:
            error = GraphQLError(str(too_long), extensions=too_long.extensions)
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


def _invalid_subscribe(message: Mapping[str, Any]) -> str | None:
    payload = message.get("payload")
    if not isinstance(message.get("id"), str):
        return "subscribe: `id` must be a string"
    if not isinstance(payload, dict):
        return "subscribe: `payload` must be an object"
    if not isinstance(payload.get("query"), str):
        return "subscribe: `payload.query` must be a string"
    if not isinstance(payload.get("variables", {}), dict | None):
        return "subscribe: `payload.variables` must be an object or null"
    if not isinstance(payload.get("operationName"), str | None):
        return "subscribe: `payload.operationName` must be a string or null"
    return None
