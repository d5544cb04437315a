"""POST /livekit/webhook: LiveKit's signed events; room_finished completes the interview.

Only a body whose signature verifies (WebhookReceiver: the JWT is ours, the body's sha256
matches its claim) is acted on; anything else is 401. Events we do not act on, and rooms we
do not know, are acknowledged with 200 so LiveKit does not resend them.
"""

import logging
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.errors import ServiceError
from services.interviews.runtime import InterviewServices
from services.interviews.sessions import complete_room
from services.video.webhooks import WebhookRejected, read_webhook

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES: Final = 1024 * 1024


async def livekit_webhook(request: Request) -> Response:
    services: InterviewServices = request.app.state.interviews
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_WEBHOOK_BYTES:
            return JSONResponse({"error": "payload too large"}, status_code=413)
    try:
        notice = read_webhook(
            services.livekit_keys,
            body.decode("utf-8", errors="replace"),
            request.headers.get("authorization"),
        )
    except WebhookRejected as error:
        logger.warning("livekit webhook rejected", extra={"reason": str(error)})
        return JSONResponse({"error": "invalid webhook signature"}, status_code=401)
    extra = {"event": notice.event, "room": notice.room_name, "event_id": notice.event_id}
    if notice.event != "room_finished":
        return JSONResponse({"status": "ignored"})
    try:
        interview = await complete_room(services.pool, notice.room_name)
    except ServiceError as error:  # e.g. the interview was cancelled meanwhile
        logger.info("room_finished not applied", extra={**extra, "reason": str(error)})
        return JSONResponse({"status": "ignored", "reason": str(error)})
    if interview is None:
        return JSONResponse({"status": "ignored", "reason": "unknown room"})
    logger.info(
        "room_finished: interview completed", extra={**extra, "interview_id": str(interview.id)}
    )
    return JSONResponse({"status": "completed", "interviewId": str(interview.id)})
