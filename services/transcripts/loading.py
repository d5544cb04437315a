"""Reading interview transcripts from the database through the one fallback function.

`load_transcript` reads one interview (two statements); `transcripts_by_interview` reads any
number of them for a per-request dataloader in two statements, however many interviews a
document asks for. Both end in `build_transcript`, so the fallback rules cannot drift apart.
`read_transcript` and `read_export` are what the API calls: tenancy first (another
organisation's interview is NOT_FOUND, exactly like a missing one), then the same function.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from db import interviews as interviews_db
from db.pool import Connection
from services.auth.tokens import Principal
from services.interviews.access import not_found, organisation_scope
from services.transcripts.exports import ExportFormat, export_transcript
from services.transcripts.fallback import build_transcript
from services.transcripts.turns import RawTurn, Transcript


def _record(row: Any) -> RawTurn:
    return RawTurn(
        id=row["id"],
        sequence_no=row["sequence_no"],
        speaker=row["speaker"],
        text=row["text"],
        timestamp_sec=row["timestamp_sec"],
    )


async def load_transcript(conn: Connection, interview_id: UUID) -> Transcript:
    """Stored turns, filled in from the session's `transcript_json` (docs/interviews.md)."""
    rows = await interviews_db.select_turns(conn, interview_id)
    transcript_json = await interviews_db.get_transcript_json(conn, interview_id)
    return build_transcript(interview_id, [_record(row) for row in rows], transcript_json)


async def transcripts_by_interview(
    pool: asyncpg.Pool, interview_ids: Sequence[UUID]
) -> list[Transcript]:
    """The transcripts of these interviews, in key order, in two statements (no tenancy:
    callers pass ids of interviews the principal has already been shown)."""
    async with pool.acquire() as conn:
        turn_rows = await interviews_db.select_turns_of_interviews(conn, interview_ids)
        json_rows = await interviews_db.select_transcript_jsons(conn, interview_ids)
    turns: defaultdict[UUID, list[RawTurn]] = defaultdict(list)
    for row in turn_rows:
        turns[row["interview_id"]].append(_record(row))
    jsons = {row["interview_id"]: row["transcript_json"] for row in json_rows}
    return [
        build_transcript(interview_id, turns.get(interview_id, []), jsons.get(interview_id))
        for interview_id in interview_ids
    ]


async def read_transcript(
    pool: asyncpg.Pool, principal: Principal, interview_id: UUID
) -> Transcript:
    """The transcript of an interview the principal may see; NOT_FOUND otherwise."""
    scope = organisation_scope(principal)
    async with pool.acquire() as conn:
        if await interviews_db.get_interview(conn, interview_id, scope=scope) is None:
            raise not_found("interview", interview_id)
        return await load_transcript(conn, interview_id)


async def read_export(
    pool: asyncpg.Pool, principal: Principal, interview_id: UUID, export_format: ExportFormat
) -> str:
    """The transcript as a TEXT, JSON or CSV document (see services/transcripts/exports)."""
    return export_transcript(await read_transcript(pool, principal, interview_id), export_format)
