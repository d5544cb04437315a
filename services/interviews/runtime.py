"""Everything the interview flow needs at run time, built once per process from the settings.

With a key configured the real adapter is used, without it the offline twin (docs/interviews.md,
offline mode): Gemini -> OfflineAI (model "offline"), Resend -> OfflineMailer (emails LOGGED
in the outbox), LiveKit URL -> OfflineRooms (no room calls; tokens still signed, dev keys).
"""

import logging
from dataclasses import dataclass

import asyncpg

from services.ai.offline import OfflineAI
from services.ai.provider import InterviewAI
from services.email.mailer import Mailer, OfflineMailer
from services.platform.retry import RetryPolicy
from services.platform.retry_tasks import retry_policies
from services.platform.settings import Secret, Settings
from services.video.rooms import LiveKitRooms, OfflineRooms, VideoRooms
from services.video.tokens import LiveKitKeys

logger = logging.getLogger(__name__)


@dataclass
class InterviewServices:
    pool: asyncpg.Pool
    settings: Settings
    server_secret: Secret
    ai: InterviewAI
    mailer: Mailer
    rooms: VideoRooms
    livekit_keys: LiveKitKeys
    policies: dict[str, RetryPolicy]

    async def start(self) -> None:
        logger.info(
            "interview services started",
            extra={
                "ai": self.ai.model,
                "email": type(self.mailer).__name__,
                "rooms": type(self.rooms).__name__,
            },
        )

    async def aclose(self) -> None:
        await self.rooms.aclose()
        await self.ai.aclose()


def build_interview_services(
    settings: Settings, pool: asyncpg.Pool, server_secret: Secret
) -> InterviewServices:
    policies = retry_policies(settings)
    ai: InterviewAI
    # The SDK adapters are imported only when configured: offline processes (and every test
    # server) then start without loading google-genai or resend, about a third of start-up.
    if settings.gemini_api_key is not None:
        from services.ai.gemini import GeminiAI

        ai = GeminiAI.from_settings(settings, policies)
    else:
        ai = OfflineAI()
    mailer: Mailer
    if settings.resend_api_key is not None:
        from services.email.resend_mailer import ResendMailer

        mailer = ResendMailer(
            api_key=settings.resend_api_key.reveal(),
            api_url=settings.resend_base_url,
            timeout_seconds=settings.upstream_timeout_seconds,
            policies=policies,
        )
    else:
        mailer = OfflineMailer()
    keys = LiveKitKeys.from_settings(settings, server_secret)
    rooms: VideoRooms
    if settings.livekit_url:
        rooms = LiveKitRooms(
            url=settings.livekit_url,
            keys=keys,
            timeout_seconds=settings.upstream_timeout_seconds,
            policies=policies,
        )
    else:
        rooms = OfflineRooms()
    return InterviewServices(
        pool=pool,
        settings=settings,
        server_secret=server_secret,
        ai=ai,
        mailer=mailer,
        rooms=rooms,
        livekit_keys=keys,
        policies=policies,
    )
