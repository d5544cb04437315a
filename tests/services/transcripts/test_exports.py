import csv
import io
import json
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.platform.csv_formulas import could_run_as_formula, escape_formula
from services.transcripts.exports import (
    CSV_HEADER,
    ExportFormat,
    export_csv,
    export_json,
    export_text,
    export_transcript,
)
from services.transcripts.fallback import build_transcript
from services.transcripts.turns import Transcript

INTERVIEW = UUID("0190f5a2-7c3e-7d4a-9b1c-2d3e4f5a6b7c")


def _transcript(*turns: tuple[str, str, float]) -> Transcript:
    value = [{"speaker": speaker, "text": text, "timestamp_sec": at} for speaker, text, at in turns]
    return build_transcript(INTERVIEW, [], value)


SAMPLE = _transcript(
    ("ai", "Welcome to the interview.", 12),
    ("candidate", "Thanks, glad to be here.", 20),
    ("interviewer", "Let me add a question.", 3_672),
    ("observer", "(coughs)", 367_217),
)


def test_text_is_one_line_per_turn() -> None:
    assert export_text(SAMPLE).split("\n") == [
        "[00:00:00] Meet Mind: Welcome to the interview.",
        "[00:00:08] Candidate: Thanks, glad to be here.",
        "[01:01:00] Interviewer: Let me add a question.",
        "[102:00:05] Unknown: (coughs)",
    ]
    assert not export_text(SAMPLE).endswith("\n")


def test_line_breaks_inside_a_turn_stay_on_its_line() -> None:
    transcript = _transcript(("candidate", "First point.\nSecond point.\r\nThird.", 0))
    assert export_text(transcript) == "[00:00:00] Candidate: First point. Second point. Third."


def test_json_has_the_documented_shape() -> None:
    document = json.loads(export_json(SAMPLE))
    assert list(document) == ["interviewId", "source", "turns"]
    assert document["interviewId"] == str(INTERVIEW)
    assert document["source"] == "SESSION_JSON"
    assert document["turns"][3] == {
        "id": str(SAMPLE.turns[3].id),
        "sequenceNo": 4,
        "speaker": "unknown",
        "speakerLabel": "Unknown",
        "text": "(coughs)",
        "timestamp": "102:00:05",
        "timestampSec": 367_217,
    }
    assert list(document["turns"][0]) == [
        "id",
        "sequenceNo",
        "speaker",
        "speakerLabel",
        "text",
        "timestamp",
        "timestampSec",
    ]
    assert export_json(SAMPLE) == export_json(SAMPLE)


def test_csv_has_a_header_and_a_row_per_turn() -> None:
    rows = list(csv.reader(io.StringIO(export_csv(SAMPLE), newline="")))
    assert rows[0] == list(CSV_HEADER)
    assert rows[1] == [
        "1",
        "00:00:00",
        "12",
        "ai",
        "Meet Mind",
        "Welcome to the interview.",
        str(SAMPLE.turns[0].id),
    ]
    assert len(rows) == 5
    assert export_csv(SAMPLE).endswith("\r\n")


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("＝1+1", "'＝1+1"),
        (" =1+1", "' =1+1"),
        ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        ("\u200b\ufeff-1", "'\u200b\ufeff-1"),
        ("a = b", "a = b"),
        ("'quoted already", "'quoted already"),
    ],
)
def test_csv_cells_that_could_run_as_formulas_are_escaped(text: str, cell: str) -> None:
    transcript = _transcript(("candidate", text, 0))
    rows = list(csv.reader(io.StringIO(export_csv(transcript), newline="")))
    assert rows[1][5] == cell
    assert escape_formula(text) == cell


# Heavy on the characters CSV quoting and formula escaping care about.
_text = st.text(
    alphabet=st.sampled_from(list(",\"\n\r =+-@\t'")) | st.characters(), min_size=1, max_size=40
).filter(str.strip)


@given(st.lists(st.tuples(st.sampled_from(["ai", "candidate", "x"]), _text), max_size=8))
def test_csv_round_trips_every_text_exactly_but_for_the_escape(
    said: list[tuple[str, str]],
) -> None:
    transcript = _transcript(
        *((speaker, text, index) for index, (speaker, text) in enumerate(said))
    )
    rows = list(csv.reader(io.StringIO(export_csv(transcript), newline="")))
    assert len(rows) == len(transcript.turns) + 1
    for row, turn in zip(rows[1:], transcript.turns, strict=True):
        escaped = could_run_as_formula(turn.text)
        assert row[5] == ("'" + turn.text if escaped else turn.text)
        assert not any(could_run_as_formula(cell) for cell in row)
        assert row[6] == str(turn.id)


def test_export_transcript_dispatches_on_format() -> None:
    assert export_transcript(SAMPLE, ExportFormat.TEXT) == export_text(SAMPLE)
    assert export_transcript(SAMPLE, ExportFormat.JSON) == export_json(SAMPLE)
    assert export_transcript(SAMPLE, ExportFormat.CSV) == export_csv(SAMPLE)


def test_an_empty_transcript_exports_empty_documents() -> None:
    empty = build_transcript(INTERVIEW, [], "broken")
    assert export_text(empty) == ""
    assert json.loads(export_json(empty)) == {
        "interviewId": str(INTERVIEW),
        "source": "NONE",
        "turns": [],
    }
    assert export_csv(empty) == ",".join(CSV_HEADER) + "\r\n"
