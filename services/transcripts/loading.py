"""Reading an interview's transcript from the database through the one fallback function."""

from uuid import UUID

from db import interviews as interviews_db
from db.pool import Connection
from services.transcripts.fallback import build_transcript
from services.transcripts.turns import Transcript, TurnRecord


async def load_transcript(conn: Connection, interview_id: UUID) -> Transcript:
    """Stored turns, filled in from the session's `transcript_json` (DESIGN section 5)."""
    rows = await interviews_db.select_turns(conn, interview_id)
    transcript_json = await interviews_db.get_transcript_json(conn, interview_id)
    stored = [
        TurnRecord(
            id=row["id"],
            sequence_no=row["sequence_no"],
            speaker=row["speaker"],
            text=row["text"],
            timestamp_sec=row["timestamp_sec"],
        )
        for row in rows
    ]
    return build_transcript(interview_id, stored, transcript_json)
