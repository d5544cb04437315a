"""What a transcript is: turns in sequence order, each with a speaker label and elapsed time.

The speaker, label and `HH:MM:SS` rules live here once, so the turns table and the session's
`transcript_json` (docs/interviews.md) are presented by the same code.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol
from uuid import UUID


class TranscriptSource(Enum):
    """Which data path served a transcript; the contract allows exactly these three."""

    TURNS = "turns"
    SESSION_JSON = "session_json"
    NONE = "none"


class TurnShape(Protocol):
    """A row of the turns table, as the interviews code hands it over (any object with these)."""

    @property
    def id(self) -> UUID: ...
    @property
    def sequence_no(self) -> int: ...
    @property
    def speaker(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def timestamp_sec(self) -> float: ...


@dataclass(frozen=True, slots=True)
class RawTurn:
    """A turn before presentation: a turns-table row, or one rebuilt from `transcript_json`."""

    id: UUID
    sequence_no: int
    speaker: str
    text: str
    timestamp_sec: float


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    id: UUID
    sequence_no: int
    speaker: str  # ai | candidate | interviewer | unknown
    speaker_label: str  # Meet Mind | Candidate | Interviewer | Unknown
    text: str
    timestamp: str  # HH:MM:SS elapsed since the first turn
    timestamp_sec: int


@dataclass(frozen=True, slots=True)
class Transcript:
    interview_id: UUID
    source: TranscriptSource
    turns: tuple[TranscriptTurn, ...]


UNKNOWN_SPEAKER: Final = "unknown"
SPEAKER_LABELS: Final[dict[str, str]] = {
    "ai": "Meet Mind",
    "candidate": "Candidate",
    "interviewer": "Interviewer",
    UNKNOWN_SPEAKER: "Unknown",
}


def normalize_speaker(raw: str) -> str:
    """Trimmed and case-insensitive; anything not known is `unknown`: `" AI "` -> `"ai"`."""
    speaker = raw.strip().casefold()
    return speaker if speaker in SPEAKER_LABELS else UNKNOWN_SPEAKER


def speaker_label(speaker: str) -> str:
    """The label a recruiter reads: `"ai"` -> `"Meet Mind"`, anything unknown -> `"Unknown"`."""
    return SPEAKER_LABELS[normalize_speaker(speaker)]


def format_elapsed(seconds: int) -> str:
    """`HH:MM:SS`; hours keep growing past 99 instead of wrapping: 443045 -> `"123:04:05"`.

    Negative input (a turn stamped before the first one) shows as `00:00:00`: elapsed time
    never runs backwards on screen, and `timestampSec` still carries the raw value.
    """
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def present_turns(turns: Iterable[TurnShape]) -> tuple[TranscriptTurn, ...]:
    """Turns from either data path -> what a recruiter sees, in sequence order.

    Both paths end here, so ordering, labels and elapsed times cannot drift apart. Elapsed
    time counts from the first turn in sequence order (not the earliest stamp); a fractional
    `timestamp_sec` is floored, as the contract's `timestampSec` is an Int.
    """
    ordered = sorted(turns, key=lambda turn: (turn.sequence_no, turn.id.int))
    if not ordered:
        return ()
    origin = math.floor(ordered[0].timestamp_sec)
    presented = []
    for turn in ordered:
        speaker = normalize_speaker(turn.speaker)
        timestamp_sec = math.floor(turn.timestamp_sec)
        presented.append(
            TranscriptTurn(
                id=turn.id,
                sequence_no=turn.sequence_no,
                speaker=speaker,
                speaker_label=SPEAKER_LABELS[speaker],
                text=turn.text,
                timestamp=format_elapsed(timestamp_sec - origin),
                timestamp_sec=timestamp_sec,
            )
        )
    return tuple(presented)
