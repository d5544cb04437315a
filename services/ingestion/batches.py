"""The CPU side of ingestion, run in a worker process: header, then batches of COPY-ready rows.

Each call is stateless: it opens the spooled file, seeks to a checkpoint (a byte offset at a
record boundary, with the line count before it) and parses up to `max_rows` records. So a batch
can be parsed while the previous one is written, and a job resumes from its last committed
checkpoint after a crash. Names repeated inside one batch are caught here; repeats across
batches are caught by the database's unique key, since batches commit in file order.
"""

import csv
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from services.ingestion.decoding import LineReader, TextEncoding, detect_encoding
from services.ingestion.reasons import Reason, RowError
from services.ingestion.rows import CleanRow, Header, HeaderError, Rejection, check_row
from services.platform.ids import uuid7_hexes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A record boundary: `offset` bytes into the file, after `line` physical lines."""

    offset: int
    line: int


@dataclass(frozen=True, slots=True)
class FileLayout:
    """What the header row said: how to decode the file and where each column is."""

    encoding: TextEncoding
    header: Header
    data_start: Checkpoint

    def as_json(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding.value,
            "width": self.header.width,
            "positions": dict(self.header.positions),
            "data_start": [self.data_start.offset, self.data_start.line],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "FileLayout":
        positions = {str(column): int(at) for column, at in data["positions"].items()}
        header = Header(width=int(data["width"]), positions=positions)
        offset, line = data["data_start"]
        return cls(TextEncoding(data["encoding"]), header, Checkpoint(int(offset), int(line)))


@dataclass(frozen=True, slots=True)
class BatchRequest:
    path: Path
    layout: FileLayout
    start: Checkpoint
    max_rows: int
    # How many more row errors the job keeps; the rest are only counted.
    error_quota: int


@dataclass(slots=True)
class ParsedBatch:
    """Rows ready for COPY (text format, in `db.ingestion.STAGING_COLUMNS` order) and what
    happened to the others."""

    copy_data: bytes
    staged: int
    rows: int
    reasons: Counter[Reason]
    errors: list[RowError]
    end: Checkpoint
    finished: bool


def read_layout(path: Path) -> FileLayout:
    """Detect the encoding and read the header (the first non-blank record).

    Raises HeaderError when the file has no header row or the header lacks a required column.
    """
    with path.open("rb") as file:
        encoding, bom = detect_encoding(file)
        lines = LineReader(file, encoding, bom)
        records = _Records(lines, first_line=0)
        for _, fields in records:
            if fields is None or not _is_blank(fields):
                header = Header.parse(fields or [])
                return FileLayout(encoding, header, Checkpoint(lines.offset, records.last_line))
    raise HeaderError("the file is empty: a header row naming the columns is required")


def parse_batch(request: BatchRequest) -> ParsedBatch:
    """Parse up to `request.max_rows` data rows from `request.start`."""
    header = request.layout.header
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    # Ids are made here, as the rows are: a default calling uuid_v7() for every staged row
    # took the database ~1 s of CPU per 500,000 rows inside the staging COPY.
    ids = uuid7_hexes()
    reasons: Counter[Reason] = Counter()
    errors: list[RowError] = []
    rows = 0
    finished = True
    with request.path.open("rb") as file:
        lines = LineReader(file, request.layout.encoding, request.start.offset)
        records = _Records(lines, first_line=request.start.line)
        for line, fields in records:
            tainted, lines.tainted = lines.tainted, False
            if fields is None:
                checked: CleanRow | Rejection = Rejection(Reason.MALFORMED_ROW, None, None)
            elif len(fields) <= 1 and _is_blank(fields):
                continue
            else:
                checked = check_row(fields, header, tainted=tainted)
            rows += 1
            if type(checked) is CleanRow:
                if checked.key not in seen:
                    seen.add(checked.key)
                    out.append((checked.key, _copy_line(checked, next(ids), line)))
                else:
                    checked = Rejection(Reason.DUPLICATE_NAME, "name", checked.name)
            if type(checked) is Rejection:
                reasons[checked.reason] += 1
                if len(errors) < request.error_quota:
                    errors.append(RowError.of(line, *checked))
            if rows >= request.max_rows:
                finished = False
                break
        end = Checkpoint(lines.offset, records.last_line)
    # In name_key order (Python orders str by code point, as collation "C" orders UTF-8): the
    # database inserts rows in staging order, so concurrent jobs lock names in one direction.
    out.sort()
    return ParsedBatch(
        copy_data="".join(line for _, line in out).encode("utf-8"),
        staged=len(out),
        rows=rows,
        reasons=reasons,
        errors=errors,
        end=end,
        finished=finished,
    )


class _Records:
    """CSV records read from `lines`, each with the 1-based physical line it starts on.

    A record csv cannot read (a field beyond csv's 128 KiB limit, e.g. an unclosed quote) comes
    as `None`; reading goes on after it.
    """

    def __init__(self, lines: LineReader, *, first_line: int) -> None:
        self._reader = csv.reader(lines, skipinitialspace=True, strict=False)
        self._before = first_line

    @property
    def last_line(self) -> int:
        """Physical lines consumed so far, counted from the start of the file."""
        return self._before + self._reader.line_num

    def __iter__(self) -> Iterator[tuple[int, list[str] | None]]:
        reader = self._reader
        while True:
            start = self.last_line + 1
            try:
                for fields in reader:
                    yield start, fields
                    start = self.last_line + 1
                return
            except csv.Error:
                yield start, None


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _copy_line(row: CleanRow, id_: str, line: int) -> str:
    return (
        f"{_escape(row.name)}\t{_escape(row.key)}\t{row.gender}\t"
        f"{row.gender_probability or NULL}\t{row.age}\t{row.country_id}\t"
        f"{_escape(row.country_name)}\t{row.country_probability or NULL}\t{id_}\t{line}\n"
    )


NULL: Final = "\\N"


def _escape(value: str) -> str:
    """COPY text format: only the backslash can occur, since whitespace runs became spaces."""
    return value.replace("\\", "\\\\") if "\\" in value else value
