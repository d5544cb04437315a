"""Root fields for transcripts: read one, export one (both through the one fallback function,
services/transcripts/loading.py, after the interview's tenancy check), follow one live."""

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from strawberry.types import Info

from graph.context import Context
from graph.interviews.enums import ExportFormat
from graph.interviews.types import Transcript, TranscriptTurn
from graph.permissions import Permitted, require_principal
from services.errors import ErrorCode, ServiceError
from services.interviews.access import parse_id
from services.transcripts.live import follow_turns
from services.transcripts.loading import read_export, read_transcript


@strawberry.type
class TranscriptsQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="An interview's whole transcript: stored turns first, filled in from the "
        "session's transcript JSON; `source` says which path served it. Another "
        "organisation's interview is NOT_FOUND.",
    )
    async def transcript(
        self, info: Info[Context, None], interview_id: strawberry.ID
    ) -> Transcript:
        found = await read_transcript(
            info.context.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
        )
        return Transcript.from_domain(found)

    @strawberry.field(
        permission_classes=[Permitted],
        description="The transcript as a document: TEXT (`[HH:MM:SS] Label: text` per line), "
        "JSON (the `transcript` shape) or CSV (formula-injection safe).",
    )
    async def transcript_export(
        self,
        info: Info[Context, None],
        interview_id: strawberry.ID,
        format: ExportFormat = ExportFormat.TEXT,
    ) -> str:
        return await read_export(
            info.context.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
            format,
        )


@strawberry.type
class TranscriptsSubscription:
    @strawberry.subscription(
        permission_classes=[Permitted],
        description="Every turn of the interview in sequence order: the stored ones at once, "
        "then each one the moment it is committed (on any server process). The stream ends "
        "when the interview is completed or cancelled. Another organisation's interview is "
        "NOT_FOUND.",
    )
    async def transcript_updates(
        self, info: Info[Context, None], interview_id: strawberry.ID
    ) -> AsyncGenerator[TranscriptTurn, None]:
        hub = info.context.notifications
        if hub is None:
            raise ServiceError(ErrorCode.INTERNAL, "live transcripts are not running here")
        follow = follow_turns(
            info.context.pool,
            hub,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
        )
        async with aclosing(follow) as turns:
            async for turn in turns:
                yield TranscriptTurn.from_presented(turn)
