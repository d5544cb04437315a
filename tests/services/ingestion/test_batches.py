"""The worker's side: header layout and batches, on files written to disk."""

import codecs
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ingestion.batches import (
    BatchRequest,
    Checkpoint,
    FileLayout,
    ParsedBatch,
    parse_batch,
    read_layout,
)
from services.ingestion.decoding import MAX_CARRY_CHARS, TextEncoding
from services.ingestion.reasons import Reason
from services.ingestion.rows import HeaderError
from tests.services.ingestion.csv_files import GeneratedCsv, csv_files

HEADER_LINE = b"name,gender,age,country_id\n"


def write(tmp_path: Path, data: bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def parse_all(path: Path, *, max_rows: int = 1000, quota: int = 1000) -> list[ParsedBatch]:
    layout = read_layout(path)
    start, batches = layout.data_start, []
    while True:
        batch = parse_batch(BatchRequest(path, layout, start, max_rows, quota))
        batches.append(batch)
        start = batch.end
        if batch.finished:
            return batches


def staged_rows(batches: list[ParsedBatch]) -> list[list[str]]:
    """Staged rows as COPY fields, in file order (each batch is sent in name_key order)."""
    text = b"".join(batch.copy_data for batch in batches).decode()
    return sorted((line.split("\t") for line in text.splitlines()), key=lambda r: int(r[-1]))


def test_quoted_fields_with_commas_quotes_and_newlines(tmp_path: Path) -> None:
    data = (
        b"name,gender,age,country_id,country_name\r\n"
        b'"Obi, Ada",f,30,NG,\r\n'
        b'"Ada ""The Great""",f,31,NG,"Nigeria, Federal Republic of"\r\n'
        b'"Multi\r\nLine\nName",m,32,KE,\r\n'
        b"Back\\slash,m,33,KE,\r\n"
    )
    batches = parse_all(write(tmp_path, data))
    rows = staged_rows(batches)
    assert [r[0] for r in rows] == [
        "Obi, Ada",
        'Ada "The Great"',
        "Multi Line Name",
        "Back\\\\slash",
    ]
    assert rows[1][6] == "Nigeria, Federal Republic of"
    assert [r[-1] for r in rows] == ["2", "3", "4", "7"]  # physical line where each starts
    assert batches[-1].end.line == 7


def test_each_batch_is_staged_in_name_key_order(tmp_path: Path) -> None:
    names = ["zoë", "Ada", "ÉMILE", "bola", "Zack", "Ñandú", "ada b", "Émile A"]
    data = HEADER_LINE + "".join(f"{name},f,3,NG\n" for name in names).encode()
    [batch] = parse_all(write(tmp_path, data))
    fields = [line.split("\t") for line in batch.copy_data.decode().splitlines()]
    keys = [row[1] for row in fields]
    assert keys == sorted(keys, key=lambda key: key.encode())  # byte order: collation "C"
    assert len(keys) == len(names)
    # Each row carries its id (db/ingestion.py STAGING_COLUMNS: ..., id, line), a UUIDv7.
    ids = [UUID(hex=row[-2]) for row in fields]
    assert {value.version for value in ids} == {7}
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("max_rows", [1, 1000])
def test_a_line_longer_than_the_reader_holds_is_one_malformed_row(
    tmp_path: Path, max_rows: int
) -> None:
    # Over MAX_CARRY_CHARS (1 MiB) the reader handed a line on in pieces, each counted as a
    # row of its own on a line of its own: every later line number was off.
    overlong = b"B" * (3 * MAX_CARRY_CHARS) + b',f,30,NG,"x"'
    data = HEADER_LINE + b"Ada,f,30,NG\n" + overlong + b"\nCid,f,30,NG\nDee,f,999,NG\n"
    batches = parse_all(write(tmp_path, data), max_rows=max_rows)
    assert sum(batch.rows for batch in batches) == 4
    errors = [(e.line, e.reason, e.value) for batch in batches for e in batch.errors]
    assert errors == [(3, Reason.MALFORMED_ROW, "B" * 200), (5, Reason.INVALID_AGE, "999")]
    assert [row[0] for row in staged_rows(batches)] == ["Ada", "Cid"]
    assert batches[-1].end == Checkpoint(len(data), 5)


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    data = b"\n\nname,gender,age,country_id\n\nAda,f,3,NG\n   \n\nBola,m,4,NG\n\n"
    [batch] = parse_all(write(tmp_path, data))
    assert (batch.rows, batch.staged) == (2, 2)
    assert [r[-1] for r in staged_rows([batch])] == ["5", "8"]


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    [batch] = parse_all(write(tmp_path, b"name,gender,age,country_id\r\n"))
    assert (batch.rows, batch.finished, batch.copy_data) == (0, True, b"")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\r\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "lacks the required"),
        (b"name;gender;age;country_id\nAda;f;3;NG\n", "lacks the required"),
    ],
)
def test_files_without_a_usable_header_are_refused(
    tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(HeaderError, match=message):
        read_layout(write(tmp_path, data))


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
     ("utf-16-be", codecs.BOM_UTF16_BE), ("cp1252", b"")],
)  # fmt: skip
def test_every_encoding_reads_the_same_rows(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "Name,Gender,Age,Country_ID\r\nZoé Ñandú,f,30,NG\r\n“Quoted” Ünal,m,40,TR\r\n"
    batches = parse_all(write(tmp_path, bom + text.encode(encoding)))
    assert [r[0] for r in staged_rows(batches)] == ["Zoé Ñandú", "“Quoted” Ünal"]


def test_undecodable_and_nul_rows_are_malformed_with_escaped_values(tmp_path: Path) -> None:
    data = "name,gender,age,country_id\nZoé,f,3,NG\n".encode() + b"Bad\xe9,f,3,NG\nN\x00l,f,3,NG\n"
    [batch] = parse_all(write(tmp_path, data))
    assert batch.staged == 1
    assert [(e.line, e.reason, e.value) for e in batch.errors] == [
        (3, Reason.MALFORMED_ROW, "Bad\\xe9,f,3,NG"),
        (4, Reason.MALFORMED_ROW, "N\\x00l,f,3,NG"),
    ]


def test_unclosed_quote_makes_one_malformed_row_and_reading_goes_on(tmp_path: Path) -> None:
    huge = b'"' + b"x" * (200 * 1024)
    data = b"name,gender,age,country_id\n" + huge + b"\nAda,f,3,NG\n"
    [batch] = parse_all(write(tmp_path, data))
    assert (batch.rows, batch.staged, batch.reasons) == (2, 1, Counter({Reason.MALFORMED_ROW: 1}))
    assert batch.errors[0].line == 2
    assert [r[0] for r in staged_rows([batch])] == ["Ada"]


def test_duplicates_within_a_batch_keep_the_first(tmp_path: Path) -> None:
    data = b"name,gender,age,country_id\nAda Obi,f,3,NG\nADA  OBI,m,4,KE\nada obi,f,5,GH\n"
    [batch] = parse_all(write(tmp_path, data))
    assert [r[-1] for r in staged_rows([batch])] == ["2"]
    assert [(e.line, e.reason, e.value) for e in batch.errors] == [
        (3, Reason.DUPLICATE_NAME, "ADA OBI"),
        (4, Reason.DUPLICATE_NAME, "ada obi"),
    ]


def test_errors_kept_stop_at_the_quota_but_all_are_counted(tmp_path: Path) -> None:
    data = b"name,gender,age,country_id\n" + b"".join(b"P%d,x,3,NG\n" % i for i in range(50))
    [batch] = parse_all(write(tmp_path, data), quota=7)
    assert len(batch.errors) == 7
    assert batch.reasons == Counter({Reason.INVALID_GENDER: 50})


def test_layout_round_trips_through_json(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path, codecs.BOM_UTF8 + b"AGE,name,x,gender,country_id\n"))
    assert FileLayout.from_json(layout.as_json()) == layout
    assert layout.encoding is TextEncoding.UTF8
    assert layout.data_start == Checkpoint(offset=len(codecs.BOM_UTF8) + 29, line=1)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=csv_files(), max_rows=st.integers(1, 50))
def test_accounting_holds_for_any_file_and_batch_size(
    tmp_path: Path, file: GeneratedCsv, max_rows: int
) -> None:
    path = write(tmp_path, file.data)
    batches = parse_all(path, max_rows=max_rows)
    rows = sum(b.rows for b in batches)
    staged = sum(b.staged for b in batches)
    reasons = sum((b.reasons for b in batches), Counter())
    assert rows == file.rows
    assert staged + sum(reasons.values()) == rows
    assert all(b.rows <= max_rows for b in batches)
    assert batches[-1].end.offset == len(file.data)
    # Every reason but duplicates is decided by the row alone, whatever the batch size.
    assert reasons - Counter({Reason.DUPLICATE_NAME: reasons[Reason.DUPLICATE_NAME]}) == (
        file.expected - Counter({Reason.DUPLICATE_NAME: file.expected[Reason.DUPLICATE_NAME]})
    )
    # Duplicates across batches reach the database, which counts them; in one batch, all here.
    [whole] = parse_all(path, max_rows=len(file.data) + 1)
    assert whole.reasons == file.expected
    assert whole.staged == len(file.valid_names)


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=csv_files(), max_rows=st.integers(1, 10))
def test_resuming_from_any_checkpoint_reads_the_same_rows(
    tmp_path: Path, file: GeneratedCsv, max_rows: int
) -> None:
    path = write(tmp_path, file.data)
    [whole] = parse_all(path, max_rows=len(file.data) + 1)
    pieces = parse_all(path, max_rows=max_rows)
    staged_whole = {int(r[-1]) for r in staged_rows([whole])}
    staged_pieces = {int(r[-1]) for r in staged_rows(pieces)}
    errors_whole = {e.line: e.reason for e in whole.errors}
    errors_pieces = {e.line: e.reason for b in pieces for e in b.errors}
    # Every row is accounted for once, at the same line, either way.
    assert len(staged_whole) + len(errors_whole) == file.rows
    assert staged_whole | set(errors_whole) == staged_pieces | set(errors_pieces)
    # Pieces stage a name repeated from an earlier batch (the database refuses it there);
    # everything else gets the same verdict.
    assert staged_whole <= staged_pieces
    for line in staged_pieces - staged_whole:
        assert errors_whole[line] is Reason.DUPLICATE_NAME
    assert {line: errors_whole[line] for line in errors_pieces} == errors_pieces
