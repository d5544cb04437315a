"""The transcript lines an assessment reads: stored turns, else the session's transcript JSON.

This is the minimum the assessment needs (speaker and text in order). The full resolver-level
fallback (uuid5 ids, HH:MM:SS, labels, source, exports) belongs to the transcripts work in
`services/transcripts/`; when that lands, this module should delegate to it.
"""

import logging
from typing import Any
from uuid import UUID

from db import interviews as interviews_db
from db.pool import Connection
from services.ai.provider import TranscriptLine
from services.interviews.records import Speaker

logger = logging.getLogger(__name__)

_SPEAKERS = {speaker.value for speaker in Speaker}


async def transcript_lines(conn: Connection, interview_id: UUID) -> list[TranscriptLine]:
    turns = await interviews_db.select_turns(conn, interview_id)
    if turns:
        return [TranscriptLine(speaker=row["speaker"], text=row["text"]) for row in turns]
    raw = await interviews_db.get_transcript_json(conn, interview_id)
    return lines_from_json(raw, interview_id=interview_id)


def lines_from_json(raw: Any, *, interview_id: UUID | None = None) -> list[TranscriptLine]:
    """[{speaker, content|text, sequence_no?}] in sequence order; anything else is empty."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        logger.error(
            "transcript_json is not a list", extra={"interview_id": str(interview_id or "")}
        )
        return []
    entries = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        text = item.get("content", item.get("text"))
        if not isinstance(text, str) or not text.strip():
            continue
        speaker = str(item.get("speaker") or "unknown").lower()
        sequence = item.get("sequence_no")
        order = (
            sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else index + 1
        )
        entries.append((order, index, speaker if speaker in _SPEAKERS else "unknown", text.strip()))
    entries.sort()
    return [TranscriptLine(speaker=speaker, text=text) for _, _, speaker, text in entries]
