"""A transcript as a downloadable document: TEXT, JSON or CSV.

TEXT: one line per turn, `[HH:MM:SS] Label: text`, lines joined by "\\n" with no trailing
newline. Line breaks inside a turn's text become spaces, so one line is always one turn.

JSON: the `transcript` query's shape, camelCase, keys in this order, two-space indent:
`{"interviewId", "source", "turns": [{"id", "sequenceNo", "speaker", "speakerLabel", "text",
"timestamp", "timestampSec"}]}`; `source` is the enum name (TURNS, SESSION_JSON, NONE).

CSV: a header row `sequenceNo,timestamp,timestampSec,speaker,speakerLabel,text,id`, then a
row per turn, CRLF line ends, quoted by the csv module where a cell holds a comma, quote or
line break. Against formula injection every cell goes through the one rule of all our CSV
exports, services/platform/csv_formulas.py: a cell whose first visible character is = + - @ (or a
full-width one), tab, CR or LF gets a leading apostrophe.
"""

import csv
import io
from enum import Enum
from typing import Final

import orjson

from services.platform.csv_formulas import escape_formula
from services.transcripts.turns import Transcript, TranscriptTurn


class ExportFormat(Enum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


CSV_HEADER: Final = (
    "sequenceNo",
    "timestamp",
    "timestampSec",
    "speaker",
    "speakerLabel",
    "text",
    "id",
)


def export_transcript(transcript: Transcript, export_format: ExportFormat) -> str:
    match export_format:
        case ExportFormat.TEXT:
            return export_text(transcript)
        case ExportFormat.JSON:
            return export_json(transcript)
        case ExportFormat.CSV:
            return export_csv(transcript)


def text_line(turn: TranscriptTurn) -> str:
    """`[00:01:05] Candidate: I would cache it.`; also how the assistant quotes a turn."""
    return f"[{turn.timestamp}] {turn.speaker_label}: {' '.join(turn.text.splitlines())}"


def export_text(transcript: Transcript) -> str:
    return "\n".join(text_line(turn) for turn in transcript.turns)


def export_json(transcript: Transcript) -> str:
    document = {
        "interviewId": str(transcript.interview_id),
        "source": transcript.source.name,
        "turns": [
            {
                "id": str(turn.id),
                "sequenceNo": turn.sequence_no,
                "speaker": turn.speaker,
                "speakerLabel": turn.speaker_label,
                "text": turn.text,
                "timestamp": turn.timestamp,
                "timestampSec": turn.timestamp_sec,
            }
            for turn in transcript.turns
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def export_csv(transcript: Transcript) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # excel dialect: RFC 4180 quoting, CRLF
    writer.writerow(CSV_HEADER)
    for turn in transcript.turns:
        row = (
            str(turn.sequence_no),
            turn.timestamp,
            str(turn.timestamp_sec),
            turn.speaker,
            turn.speaker_label,
            turn.text,
            str(turn.id),
        )
        writer.writerow([escape_formula(cell) for cell in row])
    return buffer.getvalue()
