import pytest

from services.transcripts.session_json import (
    BrokenTranscriptJson,
    SessionTurn,
    parse_session_turns,
)


def test_reads_the_documented_shape_with_default_sequence_numbers() -> None:
    value = [
        {"speaker": "ai", "content": "Hello", "timestamp_sec": 0},
        {"speaker": "candidate", "text": "Hi", "timestamp_sec": 4.5},
    ]
    assert parse_session_turns(value) == [
        SessionTurn(sequence_no=1, speaker="ai", text="Hello", timestamp_sec=0),
        SessionTurn(sequence_no=2, speaker="candidate", text="Hi", timestamp_sec=4.5),
    ]


def test_explicit_sequence_numbers_are_kept_and_whole_floats_accepted() -> None:
    value = [
        {"speaker": "ai", "text": "a", "timestamp_sec": 1, "sequence_no": 7},
        {"speaker": "ai", "text": "b", "timestamp_sec": 2, "sequence_no": 5.0},
        {"speaker": "ai", "text": "c", "timestamp_sec": 3, "sequence_no": None},
    ]
    assert [turn.sequence_no for turn in parse_session_turns(value) or []] == [7, 5, 3]


def test_content_wins_over_text_and_null_content_falls_back_to_text() -> None:
    value = [
        {"speaker": "ai", "content": "from content", "text": "from text", "timestamp_sec": 0},
        {"speaker": "ai", "content": None, "text": "from text", "timestamp_sec": 1},
    ]
    assert [turn.text for turn in parse_session_turns(value) or []] == [
        "from content",
        "from text",
    ]


@pytest.mark.parametrize(
    "encoded",
    [
        '[{"speaker": "ai", "text": "Hello", "timestamp_sec": 0}]',
        b'[{"speaker": "ai", "text": "Hello", "timestamp_sec": 0}]',
    ],
)
def test_json_text_is_decoded(encoded: str | bytes) -> None:
    assert parse_session_turns(encoded) == [SessionTurn(1, "ai", "Hello", 0)]


@pytest.mark.parametrize("absent", [None, "null", b"null"])
def test_no_json_means_no_session_turns(absent: object) -> None:
    assert parse_session_turns(absent) is None


def test_an_empty_list_is_a_session_without_turns() -> None:
    assert parse_session_turns([]) == []
    assert parse_session_turns("[]") == []


def _turn(**overrides: object) -> dict[str, object]:
    return {"speaker": "ai", "text": "Hello", "timestamp_sec": 0} | overrides


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not json at all", "not valid JSON"),
        ("[{]", "not valid JSON"),
        ("", "not valid JSON"),
        ('[{"speaker": "ai", "text": "x", "timestamp_sec": NaN}]', "not valid JSON"),
        ("[" * 2000 + "]" * 2000, "not valid JSON"),
        ('"a string"', "got a string"),
        ({"turns": []}, "got an object"),
        ('{"turns": []}', "got an object"),
        (42, "got a number"),
        (True, "got a boolean"),
        ([1, 2, 3], "item 0: expected an object, got a number"),
        ([_turn(), "text"], "item 1: expected an object, got a string"),
        ([_turn(), [_turn()]], "item 1: expected an object, got a list"),
        ([None], "item 0: expected an object, got null"),
        ([{"speaker": "ai", "timestamp_sec": 0}], "item 0: content or text"),
        ([_turn(text="   ")], "item 0: content or text"),
        ([_turn(text=["nested", {"garbage": 1}])], "item 0: content or text"),
        ([_turn(content=5)], "item 0: content or text"),
        ([{"text": "Hello", "timestamp_sec": 0}], "item 0: speaker"),
        ([_turn(speaker=1)], "item 0: speaker"),
        ([_turn(timestamp_sec=-1)], "item 0: timestamp_sec"),
        ([_turn(timestamp_sec="12")], "item 0: timestamp_sec"),
        ([_turn(timestamp_sec=True)], "item 0: timestamp_sec"),
        ([_turn(timestamp_sec=float("inf"))], "item 0: timestamp_sec"),
        ([_turn(timestamp_sec=float("nan"))], "item 0: timestamp_sec"),
        ([_turn(timestamp_sec=2**31)], "item 0: timestamp_sec"),
        ([{"speaker": "ai", "text": "Hello"}], "item 0: timestamp_sec"),
        ([_turn(sequence_no=-1)], "item 0: sequence_no"),
        ([_turn(sequence_no=1.5)], "item 0: sequence_no"),
        ([_turn(sequence_no="2")], "item 0: sequence_no"),
        ([_turn(sequence_no=10**400)], "item 0: sequence_no"),
        ([_turn(), _turn(sequence_no=1)], "item 1: sequence_no 1 repeats"),
    ],
)
def test_broken_values_say_where_they_broke(value: object, reason: str) -> None:
    with pytest.raises(BrokenTranscriptJson, match=reason):
        parse_session_turns(value)


def test_the_reason_never_echoes_what_was_said() -> None:
    with pytest.raises(BrokenTranscriptJson) as raised:
        parse_session_turns([_turn(text="secret salary 90k", timestamp_sec=-3)])
    assert "secret" not in str(raised.value)
