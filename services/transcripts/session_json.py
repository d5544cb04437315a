"""Reading a session's `transcript_json`: a list of `{speaker, content|text, sequence_no?,
timestamp_sec}` objects, as `completeInterviewSession` stores it (docs/interviews.md).

The document is judged whole, not item by item: one item that breaks the shape makes the
whole value broken. It is written once, at completion, by one writer; an item that is not an
object, has no text or has an impossible timestamp means that writer is buggy, and a
transcript with silent holes would pass for complete (a recruiter cannot tell a dropped
answer from one never given). The caller serves what the turns table has instead and logs
the reason once.

Rules for each item (index i, counted from 0):
- an object; keys beyond the ones below are ignored;
- `speaker` a string (any value: unknown speakers are shown as "Unknown", not rejected);
- `content`, or `text` when `content` is absent or null: a string with something besides
  whitespace (the same rule as appending a turn);
- `timestamp_sec` a finite number, 0 <= t <= 2**31 - 1 (the contract's `timestampSec` is a
  GraphQL Int, 32 bits), fractions allowed and floored when shown; booleans are not numbers;
- `sequence_no` absent or null -> i + 1; else a whole number 0 <= n <= 2**31 - 1 (3.0 counts
  as 3). Two items with the same sequence number are broken: each turn's id derives from it.
"""

import math
from dataclasses import dataclass
from typing import Final, TypeGuard

import orjson

MAX_INT32: Final = 2**31 - 1


class BrokenTranscriptJson(ValueError):
    """The value does not have the documented shape; the message says where, never the text."""


@dataclass(frozen=True, slots=True)
class SessionTurn:
    sequence_no: int
    speaker: str
    text: str
    timestamp_sec: float


def parse_session_turns(transcript_json: object) -> list[SessionTurn] | None:
    """The turns of a session's `transcript_json`, or None when the session has none.

    Takes the decoded value or its JSON text (str or bytes, as a driver without a jsonb codec
    returns it). `'[{"speaker": "ai", "text": "Hi", "timestamp_sec": 0}]'` ->
    `[SessionTurn(sequence_no=1, speaker="ai", text="Hi", timestamp_sec=0)]`.
    Raises BrokenTranscriptJson for anything else.
    """
    value = _decode(transcript_json)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BrokenTranscriptJson(f"expected a list of turns, got {_json_type(value)}")
    turns: list[SessionTurn] = []
    seen: set[int] = set()
    for index, item in enumerate(value):
        turn = _parse_item(index, item)
        if turn.sequence_no in seen:
            raise BrokenTranscriptJson(f"item {index}: sequence_no {turn.sequence_no} repeats")
        seen.add(turn.sequence_no)
        turns.append(turn)
    return turns


def _decode(transcript_json: object) -> object:
    if isinstance(transcript_json, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(transcript_json)
        except orjson.JSONDecodeError as error:
            # orjson also refuses NaN/Infinity and nesting deeper than 1024 here.
            raise BrokenTranscriptJson(f"not valid JSON ({error.msg})") from error
    return transcript_json


def _parse_item(index: int, item: object) -> SessionTurn:
    if not isinstance(item, dict):
        raise BrokenTranscriptJson(f"item {index}: expected an object, got {_json_type(item)}")
    speaker = item.get("speaker")
    if not isinstance(speaker, str):
        raise BrokenTranscriptJson(f"item {index}: speaker must be a string")
    text = item.get("content")
    if text is None:
        text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BrokenTranscriptJson(f"item {index}: content or text must be a non-empty string")
    timestamp_sec = item.get("timestamp_sec")
    if not _is_number(timestamp_sec) or not 0 <= timestamp_sec <= MAX_INT32:
        raise BrokenTranscriptJson(
            f"item {index}: timestamp_sec must be a number from 0 to {MAX_INT32}"
        )
    raw_sequence_no = item.get("sequence_no")
    if raw_sequence_no is None:
        sequence_no = index + 1
    elif (
        _is_number(raw_sequence_no)
        and 0 <= raw_sequence_no <= MAX_INT32
        and float(raw_sequence_no).is_integer()
    ):
        sequence_no = int(raw_sequence_no)
    else:
        raise BrokenTranscriptJson(
            f"item {index}: sequence_no must be a whole number from 0 to {MAX_INT32}"
        )
    return SessionTurn(sequence_no, speaker, text, timestamp_sec)


def _is_number(value: object) -> TypeGuard[int | float]:
    """Finite int or float; bool is an int to Python but not a number in JSON."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages that must not echo content."""
    match value:
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case dict():
            return "an object"
        case list():
            return "a list"
        case None:
            return "null"
        case _:
            return type(value).__name__
