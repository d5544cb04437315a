"""LiveKit webhooks: the body is trusted only if its signed token verifies and hashes match."""

from dataclasses import dataclass

import jwt
from google.protobuf.json_format import ParseError
from livekit.api import TokenVerifier, WebhookReceiver

from services.video.tokens import LiveKitKeys


class WebhookRejected(Exception):
    """Not from our LiveKit: bad or missing signature, a body that does not match, garbage."""


@dataclass(frozen=True, slots=True)
class WebhookNotice:
    event: str  # room_started, room_finished, participant_joined, ...
    room_name: str
    event_id: str


def read_webhook(keys: LiveKitKeys, body: str, authorization: str | None) -> WebhookNotice:
    if not authorization:
        raise WebhookRejected("no Authorization header")
    token = authorization.removeprefix("Bearer ").strip()
    receiver = WebhookReceiver(TokenVerifier(keys.api_key, keys.api_secret.reveal()))
    try:
        event = receiver.receive(body, token)
    except jwt.InvalidTokenError as error:
        raise WebhookRejected(f"signature: {error}") from None
    except ParseError as error:
        raise WebhookRejected(f"body: {error}") from None
    except Exception as error:  # the receiver raises bare Exception for a hash mismatch
        raise WebhookRejected(str(error)) from None
    return WebhookNotice(event=event.event, room_name=event.room.name, event_id=event.id)
