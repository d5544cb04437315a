"""Root fields for transcripts: read one, export one (both through the one fallback function,
services/transcripts/loading.py, after the interview's tenancy check), follow one live."""

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Self

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted, require_principal
from graph.interviews.enums import ExportFormat
from graph.interviews.types import Transcript, TranscriptTurn
from services.errors import ErrorCode, ServiceError
from services.transcripts import chat
from services.transcripts.live import follow_turns
from services.transcripts.loading import read_export, read_transcript


@strawberry.type(description="One message of an interview's recruiter-assistant chat.")
class ChatMessage:
    id: strawberry.ID
    interview_id: strawberry.ID
    role: str = strawberry.field(description="user (the recruiter) | assistant")
    author: str | None = strawberry.field(
        description='Who wrote it: the asking token\'s subject, or the model ("offline" or a '
        "Gemini model)"
    )
    content: str
    created_at: datetime

    @classmethod
    def from_domain(cls, message: chat.ChatMessage) -> Self:
        return cls(
            id=strawberry.ID(str(message.id)),
            interview_id=strawberry.ID(str(message.interview_id)),
            role=message.role,
            author=message.author,
            content=message.content,
            created_at=message.created_at,
        )


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

    @strawberry.field(
        permission_classes=[Permitted],
        description=f"The interview's assistant chat, oldest first: `first` (1.."
        f"{chat.MAX_HISTORY_PAGE}) messages after the message whose id is `after`.",
    )
    async def chat_history(
        self,
        info: Info[Context, None],
        interview_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
    ) -> list[ChatMessage]:
        cursor = None if after is None else parse_id(after, field="after", kind="chat message")
        messages = await chat.history(
            info.context.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
            first=first,
            after=cursor,
        )
        return [ChatMessage.from_domain(message) for message in messages]


@strawberry.type
class TranscriptsMutation:
    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Ask the recruiter assistant about an interview. It answers from the "
        "transcript, the planned questions and the assessment (Gemini; offline: the most "
        "relevant turns quoted); the question and the answer join the chat history. Returns "
        "the answer.",
    )
    async def ask_interview_assistant(
        self, info: Info[Context, None], interview_id: strawberry.ID, message: str
    ) -> ChatMessage:
        answer = await chat.ask(
            info.context.pool,
            info.context.interviews.ai,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
            message,
        )
        return ChatMessage.from_domain(answer)


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
