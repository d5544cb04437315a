"""LiveKit access tokens for an interview room: one for the candidate, one for the AI agent.

Tokens are signed locally (no network), so they are issued in offline mode too, with dev
keys derived from the server's secret key when no LiveKit keys are configured.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from livekit.api import AccessToken, VideoGrants

from services.platform.settings import Secret, Settings

DEV_API_KEY: Final = "devkey"
TOKEN_TTL: Final = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class LiveKitKeys:
    api_key: str
    api_secret: Secret

    @classmethod
    def from_settings(cls, settings: Settings, server_secret: Secret) -> "LiveKitKeys":
        if settings.livekit_api_key and settings.livekit_api_secret is not None:
            return cls(settings.livekit_api_key, settings.livekit_api_secret)
        # 64 hex characters: PyJWT rejects short HMAC keys; stable for one installation.
        derived = hmac.new(server_secret.reveal().encode(), b"livekit-dev", hashlib.sha256)
        return cls(DEV_API_KEY, Secret(derived.hexdigest()))


@dataclass(frozen=True, slots=True)
class ParticipantTokens:
    candidate: str
    agent: str


def participant_tokens(
    keys: LiveKitKeys, *, room: str, interview_id: str, candidate_name: str
) -> ParticipantTokens:
    """Both join only this room; the agent also registers as an agent and may set metadata."""
    candidate = (
        AccessToken(keys.api_key, keys.api_secret.reveal())
        .with_identity(f"candidate-{interview_id}")
        .with_name(candidate_name)
        .with_ttl(TOKEN_TTL)
        .with_grants(
            VideoGrants(
                room_join=True,
                room=room,
                can_publish=True,
                can_subscribe=True,
                can_publish_data=True,
            )
        )
        .to_jwt()
    )
    agent = (
        AccessToken(keys.api_key, keys.api_secret.reveal())
        .with_identity(f"interviewer-{interview_id}")
        .with_name("Meet Mind")
        .with_kind("agent")
        .with_ttl(TOKEN_TTL)
        .with_grants(
            VideoGrants(
                room_join=True,
                room=room,
                agent=True,
                can_publish=True,
                can_subscribe=True,
                can_publish_data=True,
                can_update_own_metadata=True,
            )
        )
        .to_jwt()
    )
    return ParticipantTokens(candidate=candidate, agent=agent)
