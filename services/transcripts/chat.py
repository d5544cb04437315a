"""The recruiter assistant: questions about one interview, answered from its transcript (the
fallback's, so the same turns a recruiter reads), its planned questions and its assessment,
kept as the interview's chat history.

The answer comes from the process's InterviewAI: Gemini through the retry policy (task
`ask assistant`) when a key is configured, sent the turns nearest the question by embedding
(`relevance.pick_turns`) for a long interview, else the deterministic extractive answer. No
connection is held while the model thinks; the question and the answer are stored together
afterwards, so a failed upstream call (UPSTREAM_UNAVAILABLE) stores nothing half-way.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Self
from uuid import UUID

import asyncpg

from db import chat as chat_db
from db import interviews as interviews_db
from services.ai.provider import ChatRequest, InterviewAI, TextEmbedder
from services.auth.tokens import Principal
from services.errors import bad_input
from services.interviews.access import not_found, organisation_scope
from services.interviews.records import Assessment, Interview
from services.interviews.text_rules import storable_text
from services.transcripts.loading import load_transcript
from services.transcripts.relevance import pick_turns
from services.transcripts.turns import TranscriptTurn

MAX_MESSAGE: Final = 4000
MAX_HISTORY_PAGE: Final = 100


@dataclass(frozen=True, slots=True)
class ChatMessage:
    id: UUID
    interview_id: UUID
    role: str  # user | assistant
    author: str | None  # the asking token's subject, or the model that answered
    content: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            id=row["id"],
            interview_id=row["interview_id"],
            role=row["role"],
            author=row["author"],
            content=row["content"],
            created_at=row["created_at"],
        )


async def ask(
    pool: asyncpg.Pool, ai: InterviewAI, principal: Principal, interview_id: UUID, message: str
) -> ChatMessage:
    """The assistant's answer, stored after the question; NOT_FOUND outside the scope."""
    text = storable_text(message, field="message").strip()
    if not text:
        raise bad_input("message must not be empty", field="message")
    if len(text) > MAX_MESSAGE:
        raise bad_input(f"message is longer than {MAX_MESSAGE} characters", field="message")
    scope = organisation_scope(principal)
    async with pool.acquire() as conn:
        row = await interviews_db.get_interview(conn, interview_id, scope=scope)
        if row is None:
            raise not_found("interview", interview_id)
        interview = Interview.from_row(row)
        transcript = await load_transcript(conn, interview_id)
        assessments = await interviews_db.select_assessments_by_interview_ids(conn, [interview_id])
    summary = Assessment.from_row(assessments[0]).summary if assessments else None
    turns: Sequence[TranscriptTurn] = transcript.turns
    if isinstance(ai, TextEmbedder):  # offline keeps the whole transcript (and BM25)
        turns = await pick_turns(pool, ai, interview_id, text, turns, interview.questions)
    answer = await ai.chat(
        ChatRequest(
            message=text,
            turns=turns,
            questions=interview.questions,
            assessment_summary=summary,
        )
    )
    async with pool.acquire() as conn, conn.transaction():
        stored = await chat_db.insert_messages(
            conn,
            interview_id,
            [("user", principal.subject, text), ("assistant", ai.model, answer)],
        )
    return ChatMessage.from_row(stored[-1])


async def history(
    pool: asyncpg.Pool,
    principal: Principal,
    interview_id: UUID,
    *,
    first: int,
    after: UUID | None,
) -> list[ChatMessage]:
    """Up to `first` messages, oldest first, after the message with id `after`."""
    if not 1 <= first <= MAX_HISTORY_PAGE:
        raise bad_input(f"first must be 1..{MAX_HISTORY_PAGE}", field="first")
    scope = organisation_scope(principal)
    async with pool.acquire() as conn:
        if await interviews_db.get_interview(conn, interview_id, scope=scope) is None:
            raise not_found("interview", interview_id)
        if after is not None and not await chat_db.message_exists(conn, interview_id, after):
            raise bad_input(f"{after} is not a message of this interview", field="after")
        rows = await chat_db.select_messages(conn, interview_id, after=after, limit=first)
    return [ChatMessage.from_row(row) for row in rows]
