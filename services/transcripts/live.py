"""Following an interview's transcript live (`transcriptUpdates`, docs/interviews.md).

Appends and completion `pg_notify('transcript_turns', <interview id>)` inside their
transaction. A follower watches that key on the process's one LISTEN connection
(NotificationHub) before its first read, then alternates waiting and reading the turns whose
sequence numbers it has not delivered yet, so each committed turn reaches every follower once,
in sequence order within each read, on whichever server process it was appended. A turn the
agent appends late with a lower sequence number than one already sent (an explicit, out of
order `sequenceNo`) is still sent, after the ones before it. A follower starts with the turns
already stored (a chat UI that opens late still shows the whole conversation) and ends once it
has delivered every turn committed before the interview closed (completed, cancelled, or
completed with a failed assessment).
"""

from collections.abc import AsyncGenerator
from typing import Final
from uuid import UUID

import asyncpg

from db import interviews as interviews_db
from services.auth.tokens import Principal
from services.interviews.access import not_found, organisation_scope
from services.interviews.records import InterviewStatus
from services.platform.notifications import NotificationHub
from services.transcripts.turns import (
    SPEAKER_LABELS,
    TranscriptTurn,
    format_elapsed,
    normalize_speaker,
)

# A notification can be missed (listener reconnecting); re-reading this often bounds the delay.
FOLLOW_POLL_SECONDS: Final = 5.0
CLOSED: Final = frozenset(
    {
        InterviewStatus.COMPLETED.value,
        InterviewStatus.CANCELLED.value,
        InterviewStatus.NEEDS_ATTENTION.value,
    }
)


async def follow_turns(
    pool: asyncpg.Pool, hub: NotificationHub, principal: Principal, interview_id: UUID
) -> AsyncGenerator[TranscriptTurn, None]:
    """Every turn of the interview in sequence order, live; NOT_FOUND outside the scope."""
    scope = organisation_scope(principal)
    async with hub.watch(interviews_db.TURNS_CHANNEL, str(interview_id)) as changes:
        async with pool.acquire() as conn:
            if await interviews_db.get_interview(conn, interview_id, scope=scope) is None:
                raise not_found("interview", interview_id)
        delivered: list[int] = []  # sequence numbers sent (a few hundred per interview)
        while True:
            async with pool.acquire() as conn:
                rows = await interviews_db.select_live_turns(conn, interview_id, delivered)
            if not rows:
                return  # the interview is gone
            for row in rows:
                if row["id"] is None:
                    continue  # the left join's row when there is no new turn
                yield present(row)
                delivered.append(row["sequence_no"])
            if rows[0]["status"] in CLOSED:
                return
            await changes.wait(FOLLOW_POLL_SECONDS)


def present(row: asyncpg.Record) -> TranscriptTurn:
    """A stored turn as the `transcript` query shows it (elapsed time from the first turn)."""
    speaker = normalize_speaker(row["speaker"])
    origin = row["first_timestamp_sec"]
    return TranscriptTurn(
        id=row["id"],
        sequence_no=row["sequence_no"],
        speaker=speaker,
        speaker_label=SPEAKER_LABELS[speaker],
        text=row["text"],
        timestamp=format_elapsed(row["timestamp_sec"] - origin),
        timestamp_sec=row["timestamp_sec"],
    )
