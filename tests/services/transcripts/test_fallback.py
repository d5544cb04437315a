import json
import logging
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.transcripts.fallback import TURN_ID_NAMESPACE, build_transcript, fallback_turn_id
from services.transcripts.turns import RawTurn, TranscriptSource

INTERVIEW = UUID("0190f5a2-7c3e-7d4a-9b1c-2d3e4f5a6b7c")
OTHER_INTERVIEW = UUID("0190f5a2-7c3e-7d4a-9b1c-2d3e4f5a6b7d")
LOGGER = "services.transcripts.fallback"


def _stored(sequence_no: int, text: str, timestamp_sec: int, speaker: str = "ai") -> RawTurn:
    return RawTurn(UUID(int=sequence_no), sequence_no, speaker, text, timestamp_sec)


SESSION_JSON = [
    {"speaker": "ai", "content": "Welcome", "timestamp_sec": 5},
    {"speaker": "candidate", "text": "Thanks", "timestamp_sec": 9},
    {"speaker": "ai", "content": "Tell me about caching", "timestamp_sec": 3_605},
    {"speaker": "candidate", "content": "Cache-aside with TTLs", "timestamp_sec": 3_700},
]


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.ERROR]


def test_turns_table_serves_when_it_has_turns(caplog: pytest.LogCaptureFixture) -> None:
    stored = [_stored(2, "second", 70, "candidate"), _stored(1, "first", 10)]
    transcript = build_transcript(INTERVIEW, stored, None)
    assert transcript.interview_id == INTERVIEW
    assert transcript.source is TranscriptSource.TURNS
    assert [(t.id, t.text, t.timestamp) for t in transcript.turns] == [
        (UUID(int=1), "first", "00:00:00"),
        (UUID(int=2), "second", "00:01:00"),
    ]
    assert _errors(caplog) == []


def test_session_json_serves_when_the_table_is_empty() -> None:
    transcript = build_transcript(INTERVIEW, [], SESSION_JSON)
    assert transcript.source is TranscriptSource.SESSION_JSON
    assert [t.sequence_no for t in transcript.turns] == [1, 2, 3, 4]
    assert [t.id for t in transcript.turns] == [
        fallback_turn_id(INTERVIEW, n) for n in (1, 2, 3, 4)
    ]
    assert [t.speaker_label for t in transcript.turns] == [
        "Meet Mind",
        "Candidate",
        "Meet Mind",
        "Candidate",
    ]
    assert [t.timestamp for t in transcript.turns] == [
        "00:00:00",
        "00:00:04",
        "01:00:00",
        "01:01:35",
    ]
    assert [t.text for t in transcript.turns] == [
        "Welcome",
        "Thanks",
        "Tell me about caching",
        "Cache-aside with TTLs",
    ]


def test_session_json_is_ordered_by_its_sequence_numbers() -> None:
    value = [
        {"speaker": "candidate", "text": "answer", "timestamp_sec": 30, "sequence_no": 2},
        {"speaker": "ai", "text": "question", "timestamp_sec": 10, "sequence_no": 1},
    ]
    transcript = build_transcript(INTERVIEW, [], value)
    assert [(t.sequence_no, t.text, t.timestamp) for t in transcript.turns] == [
        (1, "question", "00:00:00"),
        (2, "answer", "00:00:20"),
    ]


def test_same_result_from_json_text_and_decoded_json() -> None:
    assert build_transcript(INTERVIEW, [], json.dumps(SESSION_JSON)) == build_transcript(
        INTERVIEW, [], SESSION_JSON
    )


def test_mixed_case_fills_the_missing_turns_from_json_and_keeps_stored_ones() -> None:
    # Appends 1 and 3 reached the table; the session JSON at completion has all four.
    stored = [_stored(1, "Welcome (as stored)", 5), _stored(3, "Tell me about caching", 3_605)]
    transcript = build_transcript(INTERVIEW, stored, SESSION_JSON)
    assert transcript.source is TranscriptSource.TURNS
    assert [(t.sequence_no, t.id, t.text, t.timestamp) for t in transcript.turns] == [
        (1, UUID(int=1), "Welcome (as stored)", "00:00:00"),
        (2, fallback_turn_id(INTERVIEW, 2), "Thanks", "00:00:04"),
        (3, UUID(int=3), "Tell me about caching", "01:00:00"),
        (4, fallback_turn_id(INTERVIEW, 4), "Cache-aside with TTLs", "01:01:35"),
    ]


def test_mixed_case_with_json_longer_than_the_table() -> None:
    stored = [_stored(1, "Welcome", 5), _stored(2, "Thanks", 9, "candidate")]
    transcript = build_transcript(INTERVIEW, stored, SESSION_JSON)
    assert transcript.source is TranscriptSource.TURNS
    assert len(transcript.turns) == 4
    assert [t.id for t in transcript.turns[:2]] == [UUID(int=1), UUID(int=2)]
    assert [t.id for t in transcript.turns[2:]] == [fallback_turn_id(INTERVIEW, n) for n in (3, 4)]


def test_table_turns_beyond_the_json_are_kept() -> None:
    stored = [_stored(n, f"turn {n}", n * 10) for n in range(1, 7)]
    transcript = build_transcript(INTERVIEW, stored, SESSION_JSON)
    assert [t.id for t in transcript.turns] == [UUID(int=n) for n in range(1, 7)]


def test_no_turns_and_no_json_is_an_empty_transcript_without_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    absent: tuple[object, ...] = (None, [], "[]")
    for transcript_json in absent:
        transcript = build_transcript(INTERVIEW, [], transcript_json)
        assert transcript.source is TranscriptSource.NONE
        assert transcript.turns == ()
    assert _errors(caplog) == []


def test_rebuilt_ids_never_change() -> None:
    first = build_transcript(INTERVIEW, [], SESSION_JSON)
    again = build_transcript(INTERVIEW, [], list(reversed(SESSION_JSON[:2])) + SESSION_JSON[2:])
    assert [t.id for t in first.turns][2:] == [t.id for t in again.turns][2:]
    assert [t.id for t in first.turns] == [
        t.id for t in build_transcript(INTERVIEW, [], SESSION_JSON).turns
    ]
    # Pinned: the namespace and name format are part of the public contract of these ids.
    assert uuid5(NAMESPACE_URL, "urn:insighta:transcript-turn") == TURN_ID_NAMESPACE
    assert fallback_turn_id(UUID(int=1), 1) == UUID("6fa20180-85b5-5b27-8ea1-f1169699f85f")
    assert fallback_turn_id(INTERVIEW, 3) == uuid5(TURN_ID_NAMESPACE, f"{INTERVIEW}:3")


def test_rebuilt_ids_differ_between_interviews_and_turns() -> None:
    ours = [t.id for t in build_transcript(INTERVIEW, [], SESSION_JSON).turns]
    theirs = [t.id for t in build_transcript(OTHER_INTERVIEW, [], SESSION_JSON).turns]
    assert len(set(ours)) == len(ours) == 4
    assert not set(ours) & set(theirs)


@pytest.mark.parametrize(
    "broken",
    [
        "{not json",
        '"just a string"',
        {"speaker": "ai", "text": "a dict, not a list", "timestamp_sec": 0},
        42,
        3.5,
        [1, 2, 3],
        [{"speaker": "ai", "text": "fine", "timestamp_sec": 0}, ["nested", ["garbage"]]],
        [{"speaker": "ai", "timestamp_sec": 0}],
        [{"speaker": "ai", "text": "x", "timestamp_sec": -1}],
        [{"speaker": "ai", "text": "x", "timestamp_sec": "soon"}],
    ],
)
def test_broken_json_is_an_empty_transcript_and_one_logged_error(
    broken: object, caplog: pytest.LogCaptureFixture
) -> None:
    transcript = build_transcript(INTERVIEW, [], broken)
    assert transcript.source is TranscriptSource.NONE
    assert transcript.turns == ()
    errors = _errors(caplog)
    assert len(errors) == 1
    assert errors[0].__dict__["interview_id"] == str(INTERVIEW)
    assert errors[0].__dict__["reason"]


def test_broken_json_beside_stored_turns_serves_the_stored_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transcript = build_transcript(INTERVIEW, [_stored(1, "kept", 0)], "[{oops")
    assert transcript.source is TranscriptSource.TURNS
    assert [t.text for t in transcript.turns] == ["kept"]
    assert len(_errors(caplog)) == 1


_json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
# Turn-shaped dicts with the odd wrong value: the broken outcome for lists of objects.
_loose_turn = st.fixed_dictionaries(
    {
        "speaker": st.sampled_from(["ai", "candidate", "robot"]) | _json_leaf,
        "timestamp_sec": st.integers(min_value=0, max_value=10**6) | _json_leaf,
    },
    optional={"content": _json_leaf, "text": st.text(max_size=20), "sequence_no": _json_leaf},
)


@given(st.one_of(_json, st.lists(_loose_turn, max_size=8), st.text(max_size=40), st.binary()))
def test_any_json_value_gives_a_transcript_and_never_raises(value: Any) -> None:
    transcript = build_transcript(INTERVIEW, [], value)
    numbers = [t.sequence_no for t in transcript.turns]
    assert numbers == sorted(set(numbers))
    assert [t.id for t in transcript.turns] == [fallback_turn_id(INTERVIEW, n) for n in numbers]
    expected = TranscriptSource.SESSION_JSON if transcript.turns else TranscriptSource.NONE
    assert transcript.source is expected
    assert build_transcript(INTERVIEW, [], value) == transcript


@st.composite
def _valid_session_json(draw: st.DrawFn) -> list[dict[str, object]]:
    size = draw(st.integers(min_value=1, max_value=12))
    explicit = draw(st.booleans())
    numbers = draw(st.lists(st.integers(0, 10**6), min_size=size, max_size=size, unique=True))
    turns: list[dict[str, object]] = []
    for index in range(size):
        turn: dict[str, object] = {
            "speaker": draw(st.sampled_from(["ai", "candidate", "Interviewer", " AI ", "robot"])),
            draw(st.sampled_from(["content", "text"])): draw(
                st.text(min_size=1, max_size=20).filter(str.strip)
            ),
            "timestamp_sec": draw(st.integers(0, 10**7) | st.floats(0, 10**7)),
        }
        if explicit:
            turn["sequence_no"] = numbers[index]
        turns.append(turn)
    return turns


@given(_valid_session_json())
def test_well_formed_json_is_served_whole_in_sequence_order(value: list[dict[str, Any]]) -> None:
    transcript = build_transcript(INTERVIEW, [], value)
    assert transcript.source is TranscriptSource.SESSION_JSON
    expected = sorted(item.get("sequence_no", index + 1) for index, item in enumerate(value))
    assert [t.sequence_no for t in transcript.turns] == expected
    assert [t.id for t in transcript.turns] == [fallback_turn_id(INTERVIEW, n) for n in expected]
    assert transcript.turns[0].timestamp == "00:00:00"
    if all("sequence_no" in item for item in value):
        # Explicit numbers, not list positions, decide the order and the ids.
        assert build_transcript(INTERVIEW, [], value[::-1]) == transcript


@given(
    stored_numbers=st.sets(st.integers(min_value=1, max_value=30), max_size=10),
    json_length=st.integers(min_value=0, max_value=30),
)
def test_merge_keeps_every_stored_turn_and_fills_every_json_number(
    stored_numbers: set[int], json_length: int
) -> None:
    stored = [_stored(n, f"stored {n}", n) for n in stored_numbers]
    value = [
        {"speaker": "ai", "text": f"json {i + 1}", "timestamp_sec": i + 1}
        for i in range(json_length)
    ]
    transcript = build_transcript(INTERVIEW, stored, value)
    by_number = {t.sequence_no: t for t in transcript.turns}
    assert set(by_number) == stored_numbers | set(range(1, json_length + 1))
    for n, turn in by_number.items():
        if n in stored_numbers:
            assert (turn.id, turn.text) == (UUID(int=n), f"stored {n}")
        else:
            assert (turn.id, turn.text) == (fallback_turn_id(INTERVIEW, n), f"json {n}")
    if stored_numbers:
        assert transcript.source is TranscriptSource.TURNS
