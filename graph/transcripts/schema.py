"""Root fields for transcripts: read one, export one. Both go through the one fallback
function (services/transcripts/loading.py), after the interview's tenancy check."""

import strawberry
from strawberry.types import Info

from graph.context import Context
from graph.interviews.enums import ExportFormat
from graph.interviews.types import Transcript
from graph.permissions import Permitted, require_principal
from services.interviews.access import parse_id
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
