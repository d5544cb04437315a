"""Live sessions: start (a LiveKit room and participant tokens), append transcript turns,
complete (from the agent or LiveKit's room_finished webhook) and queue the assessment."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from uuid import UUID

import asyncpg

from db import interviews as interviews_db
from db.pool import Connection
from services.auth.tokens import Principal, Role, issue_token
from services.errors import bad_input
from services.interviews.access import not_found, organisation_scope, turn_writer_scope
from services.interviews.assessments import queue_assessment_after_completion
from services.interviews.interviews import lock_interview
from services.interviews.records import (
    Interview,
    InterviewSession,
    InterviewStatus,
    Speaker,
    StoredTurn,
)
from services.interviews.text_rules import storable_json, storable_text
from services.platform.settings import Secret
from services.video.rooms import VideoRooms
from services.video.tokens import LiveKitKeys, participant_tokens

logger = logging.getLogger(__name__)

MAX_TURN_TEXT: Final = 20_000
# A client's own sequenceNo stays far below int4's end, so automatic numbering (last + 1)
# always has room after it: hours of interview are a few thousand turns.
MAX_SEQUENCE_NO: Final = 1_000_000
MAX_TRANSCRIPT_JSON_BYTES: Final = 5 * 1024 * 1024
AGENT_TOKEN_TTL: Final = timedelta(hours=3)

_NOT_STARTABLE: Final = frozenset(
    {InterviewStatus.COMPLETED, InterviewStatus.CANCELLED, InterviewStatus.NEEDS_ATTENTION}
)
_OPEN: Final = [InterviewStatus.DRAFT.value, InterviewStatus.SCHEDULED.value]
_BEFORE_COMPLETED: Final = [*_OPEN, InterviewStatus.IN_PROGRESS.value]
_ASSESSED: Final = frozenset({InterviewStatus.COMPLETED, InterviewStatus.NEEDS_ATTENTION})


@dataclass(frozen=True, slots=True)
class StartedSession:
    session: InterviewSession
    livekit_url: str | None
    candidate_token: str
    agent_token: str  # LiveKit token for the AI interviewer
    agent_api_token: str  # Insighta bearer token (role agent) for appending this interview's turns


@dataclass(frozen=True, slots=True)
class NewTurn:
    speaker: str
    text: str
    timestamp_sec: int
    sequence_no: int | None = None


def room_name(interview_id: UUID) -> str:
    return f"interview-{interview_id}"


async def start_session(
    pool: asyncpg.Pool,
    rooms: VideoRooms,
    keys: LiveKitKeys,
    server_secret: Secret,
    principal: Principal,
    interview_id: UUID,
) -> StartedSession:
    """Create the room (retried by the policy) before writing anything; starting again while
    in progress returns the same room with fresh tokens."""
    scope = organisation_scope(principal)
    async with pool.acquire() as conn:
        row = await interviews_db.get_interview(conn, interview_id, scope=scope)
        candidate = (
            await interviews_db.get_candidate(conn, row["candidate_id"], scope=None)
            if row
            else None
        )
    if row is None or candidate is None:
        raise not_found("interview", interview_id)
    interview = Interview.from_row(row)
    if interview.status in _NOT_STARTABLE:
        raise bad_input(f"the interview is {interview.status.value}", field="interviewId")
    name = room_name(interview_id)
    await rooms.create_room(name)
    async with pool.acquire() as conn, conn.transaction():
        interview = await lock_interview(conn, interview_id, scope=scope)
        if interview.status in _NOT_STARTABLE:
            raise bad_input(f"the interview is {interview.status.value}", field="interviewId")
        session_row = await interviews_db.upsert_started_session(
            conn, interview_id=interview_id, room_name=name
        )
        await interviews_db.update_interview_status(
            conn, interview_id, InterviewStatus.IN_PROGRESS.value, only_from=_OPEN
        )
    tokens = participant_tokens(
        keys, room=name, interview_id=str(interview_id), candidate_name=candidate["name"]
    )
    agent_api_token = issue_token(
        server_secret,
        role=Role.AGENT,
        subject=f"interviewer-{interview_id}",
        interview=str(interview_id),
        ttl=AGENT_TOKEN_TTL,
    )
    return StartedSession(
        session=InterviewSession.from_row(session_row),
        livekit_url=rooms.url,
        candidate_token=tokens.candidate,
        agent_token=tokens.agent,
        agent_api_token=agent_api_token,
    )


def validated_turn(turn: NewTurn) -> NewTurn:
    storable_text(turn.text, field="text")
    speaker = turn.speaker.strip().lower()
    if speaker not in {s.value for s in Speaker}:
        raise bad_input(
            f"speaker {turn.speaker!r} is not one of ai, candidate, interviewer, unknown",
            field="speaker",
        )
    text = turn.text.strip()
    if not text:
        raise bad_input("text must not be empty", field="text")
    if len(text) > MAX_TURN_TEXT:
        raise bad_input(f"text is longer than {MAX_TURN_TEXT} characters", field="text")
    if turn.timestamp_sec < 0:
        raise bad_input("timestampSec must not be negative", field="timestampSec")
    if turn.sequence_no is not None and turn.sequence_no < 1:
        raise bad_input("sequenceNo starts at 1", field="sequenceNo")
    if turn.sequence_no is not None and turn.sequence_no > MAX_SEQUENCE_NO:
        raise bad_input(f"sequenceNo is at most {MAX_SEQUENCE_NO}", field="sequenceNo")
    return NewTurn(speaker, text, turn.timestamp_sec, turn.sequence_no)


async def append_turn(
    pool: asyncpg.Pool, principal: Principal, interview_id: UUID, turn: NewTurn
) -> tuple[StoredTurn, int]:
    """The stored turn and the first turn's timestamp_sec. Idempotent on the sequence number:
    a retried append returns the turn already stored; a different turn there is refused. A
    new turn on a completed interview queues a fresh assessment."""
    turn = validated_turn(turn)
    scope = turn_writer_scope(principal, interview_id)
    async with pool.acquire() as conn, conn.transaction():
        interview = await lock_interview(conn, interview_id, scope=scope)
        if turn.sequence_no is not None:
            existing = await interviews_db.get_turn(conn, interview_id, turn.sequence_no)
            if existing is not None:
                return _same_turn(existing, turn), await _first_timestamp(conn, interview_id)
        if interview.status is InterviewStatus.CANCELLED:
            raise bad_input("the interview is cancelled", field="interviewId")
        row = await interviews_db.insert_turn(
            conn,
            interview_id=interview_id,
            sequence_no=turn.sequence_no,
            speaker=turn.speaker,
            text=turn.text,
            timestamp_sec=turn.timestamp_sec,
        )
        if row is None:
            # The row lock rules out a concurrent insert, so only automatic numbering lands
            # here: the number after the last turn is taken (db/interviews.py INSERT_TURN).
            raise bad_input(
                "no sequence number is free after the last turn: send sequenceNo",
                field="sequenceNo",
            )
        await interviews_db.notify_turns_changed(conn, interview_id)
        if interview.status in _ASSESSED:
            # A turn that arrives after completion (the agent's last words racing LiveKit's
            # room_finished) changes what was assessed.
            await queue_assessment_after_completion(conn, interview_id, transcript_changed=True)
        return StoredTurn.from_row(row), await _first_timestamp(conn, interview_id)


def _same_turn(existing: Any, turn: NewTurn) -> StoredTurn:
    stored = StoredTurn.from_row(existing)
    if (stored.speaker.value, stored.text, stored.timestamp_sec) != (
        turn.speaker,
        turn.text,
        turn.timestamp_sec,
    ):
        raise bad_input(
            f"sequenceNo {turn.sequence_no} already holds a different turn", field="sequenceNo"
        )
    return stored


async def _first_timestamp(conn: Connection, interview_id: UUID) -> int:
    first = await interviews_db.get_first_turn_timestamp(conn, interview_id)
    return first if first is not None else 0


async def complete_session(
    pool: asyncpg.Pool,
    principal: Principal | None,
    interview_id: UUID,
    transcript_json: Any = None,
) -> Interview:
    """Mark the session and interview completed, keep the transcript JSON, queue the
    assessment. `principal` None is the verified LiveKit webhook (no tenancy to check)."""
    if transcript_json is not None:
        storable_json(transcript_json, field="transcriptJson", max_bytes=MAX_TRANSCRIPT_JSON_BYTES)
    scope = None if principal is None else turn_writer_scope(principal, interview_id)
    async with pool.acquire() as conn, conn.transaction():
        interview = await lock_interview(conn, interview_id, scope=scope)
        if interview.status is InterviewStatus.CANCELLED:
            raise bad_input("the interview is cancelled", field="interviewId")
        previous = await interviews_db.get_transcript_json(conn, interview_id)
        await interviews_db.upsert_completed_session(
            conn,
            interview_id=interview_id,
            room_name=room_name(interview_id),
            transcript_json=transcript_json,
        )
        await interviews_db.update_interview_status(
            conn, interview_id, InterviewStatus.COMPLETED.value, only_from=_BEFORE_COMPLETED
        )
        await interviews_db.notify_turns_changed(conn, interview_id)  # live followers end
        await queue_assessment_after_completion(
            conn,
            interview_id,
            transcript_changed=transcript_json is not None and transcript_json != previous,
        )
        row = await interviews_db.get_interview(conn, interview_id, scope=None)
    assert row is not None
    return Interview.from_row(row)


async def complete_room(pool: asyncpg.Pool, room: str) -> Interview | None:
    """LiveKit says the room is finished: complete its interview (None for unknown rooms)."""
    async with pool.acquire() as conn:
        session = await interviews_db.get_session_by_room(conn, room)
    if session is None:
        logger.info("room_finished for a room we do not know", extra={"room": room})
        return None
    return await complete_session(pool, None, session["interview_id"])
