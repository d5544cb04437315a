from dataclasses import dataclass
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.transcripts.turns import (
    RawTurn,
    format_elapsed,
    normalize_speaker,
    present_turns,
    speaker_label,
)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "00:00:00"),
        (59, "00:00:59"),
        (60, "00:01:00"),
        (3599, "00:59:59"),
        (3600, "01:00:00"),
        (3661, "01:01:01"),
        (86_399, "23:59:59"),
        (86_400, "24:00:00"),  # a day is just 24 hours, never wrapped to 00
        (359_999, "99:59:59"),
        (360_000, "100:00:00"),
        (443_045, "123:04:05"),
        (-5, "00:00:00"),  # stamped before the first turn: shown as the start
    ],
)
def test_elapsed_is_hh_mm_ss_with_open_ended_hours(seconds: int, shown: str) -> None:
    assert format_elapsed(seconds) == shown


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_elapsed_reads_back_as_the_same_seconds(seconds: int) -> None:
    hours, minutes, secs = format_elapsed(seconds).split(":")
    assert len(hours) >= 2
    assert (len(minutes), len(secs)) == (2, 2)
    assert max(int(minutes), int(secs)) < 60
    assert int(hours) * 3600 + int(minutes) * 60 + int(secs) == seconds


@pytest.mark.parametrize(
    ("raw", "speaker", "label"),
    [
        ("ai", "ai", "Meet Mind"),
        (" AI ", "ai", "Meet Mind"),
        ("candidate", "candidate", "Candidate"),
        ("CANDIDATE\n", "candidate", "Candidate"),
        ("Interviewer", "interviewer", "Interviewer"),
        ("unknown", "unknown", "Unknown"),
        ("assistant", "unknown", "Unknown"),
        ("", "unknown", "Unknown"),
        ("ai bot", "unknown", "Unknown"),
    ],
)
def test_speakers_are_normalised_and_labelled(raw: str, speaker: str, label: str) -> None:
    assert normalize_speaker(raw) == speaker
    assert speaker_label(raw) == label


@dataclass(frozen=True)
class Row:
    """Shaped like the interviews code's turn row: anything with these attributes will do."""

    id: UUID
    sequence_no: int
    speaker: str
    text: str
    timestamp_sec: int


def test_turns_are_ordered_by_sequence_and_timed_from_the_first() -> None:
    rows = [
        Row(UUID(int=3), 3, "candidate", "third", 7_300),
        Row(UUID(int=1), 1, "AI", "first", 100),
        Row(UUID(int=2), 2, "Candidate", "second", 160),
    ]
    turns = present_turns(rows)
    assert [turn.sequence_no for turn in turns] == [1, 2, 3]
    assert [turn.timestamp for turn in turns] == ["00:00:00", "00:01:00", "02:00:00"]
    assert [turn.timestamp_sec for turn in turns] == [100, 160, 7_300]
    assert [(turn.speaker, turn.speaker_label) for turn in turns] == [
        ("ai", "Meet Mind"),
        ("candidate", "Candidate"),
        ("candidate", "Candidate"),
    ]
    assert [turn.id for turn in turns] == [UUID(int=1), UUID(int=2), UUID(int=3)]


def test_origin_is_the_first_turn_in_sequence_not_the_earliest_stamp() -> None:
    turns = present_turns(
        [
            RawTurn(UUID(int=1), 1, "ai", "late clock", 50),
            RawTurn(UUID(int=2), 2, "candidate", "early clock", 20),
            RawTurn(UUID(int=3), 3, "ai", "on time", 65),
        ]
    )
    assert [turn.timestamp for turn in turns] == ["00:00:00", "00:00:00", "00:00:15"]
    assert [turn.timestamp_sec for turn in turns] == [50, 20, 65]


def test_fractional_seconds_are_floored() -> None:
    turns = present_turns(
        [RawTurn(UUID(int=1), 1, "ai", "a", 0.9), RawTurn(UUID(int=2), 2, "ai", "b", 61.99)]
    )
    assert [(turn.timestamp, turn.timestamp_sec) for turn in turns] == [
        ("00:00:00", 0),
        ("00:01:01", 61),
    ]


def test_no_turns_present_as_nothing() -> None:
    assert present_turns([]) == ()
