"""A fake LiveKit server API: Twirp RoomService over binary protobuf, and signed webhooks.

Requests must carry a token signed with the fake's key and secret that grants what the call
needs (roomCreate, roomList), as LiveKit checks. Errors are Twirp JSON ({"code", "msg"}).
`webhook(event, room_name)` builds the body and Authorization header LiveKit would send.
"""

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field

import jwt
from aiohttp import web
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import DecodeError
from livekit.api import AccessToken
from livekit.protocol.models import Room
from livekit.protocol.room import (
    CreateRoomRequest,
    DeleteRoomRequest,
    DeleteRoomResponse,
    ListRoomsRequest,
    ListRoomsResponse,
)
from livekit.protocol.webhook import WebhookEvent

from tests.fakes.server import FakeServer, Handler

API_KEY = "fake-livekit-key"
# At least 32 bytes: PyJWT warns about shorter HMAC keys, and warnings are errors here.
API_SECRET = "fake-livekit-secret-0123456789abcdef0123"

_TWIRP_CODES = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    408: "deadline_exceeded",
    429: "resource_exhausted",
    500: "internal",
    503: "unavailable",
}
_PREFIX = "/twirp/livekit.RoomService/"


@dataclass
class FakeLiveKit(FakeServer):
    api_key: str = API_KEY
    api_secret: str = API_SECRET
    rooms: dict[str, Room] = field(default_factory=dict)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", _PREFIX + "CreateRoom", self._create_room),
            ("POST", _PREFIX + "ListRooms", self._list_rooms),
            ("POST", _PREFIX + "DeleteRoom", self._delete_room),
        ]

    def error_response(self, status: int, retry_after: str | None) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {"code": _TWIRP_CODES.get(status, "unknown"), "msg": f"fake LiveKit says {status}"}
        return web.json_response(body, status=status, headers=headers)

    def malformed_response(self, body: bytes) -> web.Response:
        return web.Response(status=200, body=body, content_type="application/protobuf")

    def reset(self) -> None:
        super().reset()
        self.rooms.clear()

    def webhook(
        self, event: str, room_name: str, *, secret: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """A webhook body and headers as LiveKit signs them (sha256 of the body in a JWT)."""
        message = WebhookEvent(
            event=event,
            room=Room(name=room_name, sid=f"RM_{room_name}"),
            id=f"EV_{uuid.uuid4().hex[:12]}",
            created_at=int(time.time()),
        )
        body = MessageToJson(message)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        token = AccessToken(self.api_key, secret or self.api_secret).with_sha256(digest).to_jwt()
        return body, {"Authorization": token, "Content-Type": "application/webhook+json"}

    def _authorised(self, request: web.Request, grant: str) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, self.api_secret, algorithms=["HS256"], issuer=self.api_key)
        except jwt.InvalidTokenError:
            return False
        return bool(claims.get("video", {}).get(grant))

    async def _create_room(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if not self._authorised(request, "roomCreate"):
            return self.error_response(401, None)
        try:
            create = CreateRoomRequest.FromString(body)
        except DecodeError:
            return self.error_response(400, None)
        if not create.name:
            return self.error_response(400, None)
        room = self.rooms.get(create.name)
        if room is None:  # LiveKit's CreateRoom returns the existing room for a known name
            room = Room(
                sid=f"RM_{uuid.uuid4().hex[:12]}",
                name=create.name,
                empty_timeout=create.empty_timeout,
                departure_timeout=create.departure_timeout,
                max_participants=create.max_participants,
                creation_time=int(time.time()),
                metadata=create.metadata,
            )
            self.rooms[create.name] = room
        return _protobuf(room.SerializeToString())

    async def _list_rooms(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if not self._authorised(request, "roomList"):
            return self.error_response(401, None)
        wanted = set(ListRoomsRequest.FromString(body).names)
        rooms = [room for name, room in self.rooms.items() if not wanted or name in wanted]
        return _protobuf(ListRoomsResponse(rooms=rooms).SerializeToString())

    async def _delete_room(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if not self._authorised(request, "roomCreate"):
            return self.error_response(401, None)
        self.rooms.pop(DeleteRoomRequest.FromString(body).room, None)
        return _protobuf(DeleteRoomResponse().SerializeToString())


def _protobuf(data: bytes) -> web.Response:
    return web.Response(status=200, body=data, content_type="application/protobuf")
