"""Websocket frames as graphql-transport-ws clients expect them: JSON in text frames."""

from collections.abc import Mapping

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry sends whatever `encode_json` returns; ours returns bytes (orjson), which
    would go out as binary frames, and browser clients (graphql-ws) cannot parse those."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error
