"""The transcript fallback (docs/interviews.md): the one function behind `transcript`, the
assistant's context and `transcriptExport`.

Turns come from the turns table when it has them; otherwise they are rebuilt from the
session's `transcript_json`. Rebuilt turns get `uuid5(TURN_ID_NAMESPACE, "<interview id>:<n>")`
ids, so the same turn has the same id on every read and on every server.

**The mixed case** (some turns stored, the JSON longer: appends were lost while the session
ran, then completion stored the full list). Whichever data path is incomplete, the recruiter
still sees the whole transcript, and the turns table comes first (docs/interviews.md). Both
hold if the two are merged by sequence number: every stored turn is shown as stored (its real
id, which live subscribers already saw, and its text), and a JSON turn fills in only a sequence
number the table lacks. Conflicts go to the table, because it is the record each turn was
committed to first. `source` is TURNS whenever any stored turn is shown: the contract's
TranscriptSource has no room for a MIXED value, and TURNS is what docs/interviews.md says a
table with turns serves. SESSION_JSON means every turn was rebuilt; NONE means no turns.
This relies on one numbering for both paths (1, 2, 3, ... as JSON's default index + 1 gives);
a JSON numbered differently from its appends would show turns twice.

A broken `transcript_json` (see session_json) is logged once per read as an error with the
interview id and where it broke, never its text; the stored turns (or nothing, source NONE)
are served. Never raises for any JSON value.
"""

import logging
from collections.abc import Iterable
from typing import Final
from uuid import UUID, uuid5

from services.transcripts.session_json import BrokenTranscriptJson, parse_session_turns
from services.transcripts.turns import (
    RawTurn,
    Transcript,
    TranscriptSource,
    TurnShape,
    present_turns,
)

logger = logging.getLogger(__name__)

# uuid5(NAMESPACE_URL, "urn:insighta:transcript-turn"). Fixed forever: changing it changes
# the id of every rebuilt turn that clients have already seen.
TURN_ID_NAMESPACE: Final = UUID("609e8f33-f8c6-52e8-9534-ffe38fc1fb88")


def fallback_turn_id(interview_id: UUID, sequence_no: int) -> UUID:
    """The id of the rebuilt turn `sequence_no` of an interview; the same on every call."""
    return uuid5(TURN_ID_NAMESPACE, f"{interview_id}:{sequence_no}")


def build_transcript(
    interview_id: UUID, stored_turns: Iterable[TurnShape], transcript_json: object
) -> Transcript:
    """The transcript a recruiter sees: stored turns, filled in from `transcript_json`.

    `transcript_json` is the session's column as read (decoded JSON, its text, or None when
    the session has not completed).
    """
    stored = list(stored_turns)
    try:
        session_turns = parse_session_turns(transcript_json) or []
    except BrokenTranscriptJson as error:
        logger.error(
            "transcript_json is broken; serving the stored turns only",
            extra={"interview_id": str(interview_id), "reason": str(error), "stored": len(stored)},
        )
        session_turns = []
    numbered = {turn.sequence_no for turn in stored}
    rebuilt = [
        RawTurn(
            id=fallback_turn_id(interview_id, turn.sequence_no),
            sequence_no=turn.sequence_no,
            speaker=turn.speaker,
            text=turn.text,
            timestamp_sec=turn.timestamp_sec,
        )
        for turn in session_turns
        if turn.sequence_no not in numbered
    ]
    if stored:
        source = TranscriptSource.TURNS
    elif rebuilt:
        source = TranscriptSource.SESSION_JSON
    else:
        source = TranscriptSource.NONE
    return Transcript(interview_id, source, present_turns([*stored, *rebuilt]))
