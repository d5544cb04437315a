"""Encoding detection and the offset-exact line reader."""

import codecs
import io
from pathlib import Path

import pytest

from services.ingestion.decoding import (
    CHUNK_BYTES,
    MAX_CARRY_CHARS,
    LineReader,
    TextEncoding,
    detect_encoding,
)


def lines_of(data: bytes, encoding: TextEncoding, offset: int = 0) -> list[tuple[str, int]]:
    reader = LineReader(io.BytesIO(data), encoding, offset)
    return [(line, reader.offset) for line in reader]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF8 + b"name\n", (TextEncoding.UTF8, 3)),
        (codecs.BOM_UTF16_LE + "name\n".encode("utf-16-le"), (TextEncoding.UTF16_LE, 2)),
        (codecs.BOM_UTF16_BE + "name\n".encode("utf-16-be"), (TextEncoding.UTF16_BE, 2)),
        ("Zoé,Ñandú\n".encode(), (TextEncoding.UTF8, 0)),
        (b"plain ascii\n", (TextEncoding.UTF8, 0)),
        (b"", (TextEncoding.UTF8, 0)),
        ("Zoé\n".encode("cp1252"), (TextEncoding.CP1252, 0)),
        # Valid UTF-8 first, a broken byte later: UTF-8 with one malformed row, not cp1252.
        ("Zoé\n".encode() + b"bad \xff byte\n", (TextEncoding.UTF8, 0)),
        (b"\x89PNG\r\n\x1a\n\x00\x00", (TextEncoding.CP1252, 0)),
    ],
)
def test_detects_encoding(data: bytes, expected: tuple[TextEncoding, int]) -> None:
    assert detect_encoding(io.BytesIO(data)) == expected


def test_character_split_across_chunks_is_detected_and_decoded(tmp_path: Path) -> None:
    prefix = b"a" * (CHUNK_BYTES - 1)
    data = prefix + "é\n€x\n".encode()  # é straddles the first chunk boundary
    assert detect_encoding(io.BytesIO(data)) == (TextEncoding.UTF8, 0)
    lines = lines_of(data, TextEncoding.UTF8)
    assert [line for line, _ in lines] == [prefix.decode() + "é\n", "€x\n"]
    assert lines[-1][1] == len(data)


def test_utf16_character_split_across_chunks(tmp_path: Path) -> None:
    text = "x" * (CHUNK_BYTES // 2 - 1) + "😀,Zoë\r\nnext\r\n"  # a surrogate pair at the edge
    data = text.encode("utf-16-le")
    lines = lines_of(data, TextEncoding.UTF16_LE)
    assert "".join(line for line, _ in lines) == text
    assert lines[-1][1] == len(data)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_splits_lines_at_lf_crlf_and_cr_with_exact_offsets(newline: str) -> None:
    text = newline.join(["name,age", "Ada,3", "", "Bola,4"]) + newline
    data = text.encode()
    lines = lines_of(data, TextEncoding.UTF8)
    assert [line for line, _ in lines] == [
        "name,age" + newline,
        "Ada,3" + newline,
        newline,
        "Bola,4" + newline,
    ]
    # Each offset is where the next line starts: the lines are exactly the bytes.
    starts = [0] + [offset for _, offset in lines]
    for (line, _), start, end in zip(lines, starts, starts[1:], strict=False):
        assert data[start:end].decode() == line


def test_crlf_split_across_chunks_is_one_line_break() -> None:
    data = b"a" * (CHUNK_BYTES - 1) + b"\r\nb\r\n"
    assert [line for line, _ in lines_of(data, TextEncoding.UTF8)] == [
        "a" * (CHUNK_BYTES - 1) + "\r\n",
        "b\r\n",
    ]


def test_unicode_line_separators_do_not_break_lines() -> None:
    data = "Ada\u2028Obi,\x85,\x0c\n".encode()
    assert [line for line, _ in lines_of(data, TextEncoding.UTF8)] == ["Ada\u2028Obi,\x85,\x0c\n"]


def test_undecodable_bytes_taint_only_their_line_and_keep_offsets() -> None:
    data = b"ok,1\nbad\xff,2\nnul\x00,3\nok,4\n"
    reader = LineReader(io.BytesIO(data), TextEncoding.UTF8, 0)
    tainted = []
    for line in reader:
        tainted.append((line.rstrip("\n")[:3], reader.tainted))
        reader.tainted = False
    assert tainted == [("ok,", False), ("bad", True), ("nul", True), ("ok,", False)]
    assert reader.offset == len(data)


def test_cp1252_decodes_every_byte() -> None:
    data = bytes(range(0x20, 0x100)) + b"\n"
    [(line, offset)] = lines_of(data, TextEncoding.CP1252)
    assert offset == len(data)
    for char in ("€", "é", "\x81"):  # 0x81 is undefined in cp1252: Latin-1's reading
        assert char in line


def test_reading_resumes_from_a_line_boundary() -> None:
    data = "name\nZoé\nÑandú\n".encode()
    first = lines_of(data, TextEncoding.UTF8)
    resumed = lines_of(data, TextEncoding.UTF8, offset=first[0][1])
    assert resumed == first[1:]


def test_truncated_utf16_tail_is_tainted_not_an_error() -> None:
    data = "a,b\n".encode("utf-16-le") + b"\x41"
    reader = LineReader(io.BytesIO(data), TextEncoding.UTF16_LE, 0)
    assert list(reader)[-1].endswith("\udcff")
    assert reader.tainted


@pytest.mark.parametrize("end", [b"", b"\r\n", b"\r"])
def test_a_line_over_the_limit_is_one_short_tainted_line_that_ends_where_it_ends(
    end: bytes,
) -> None:
    overlong = "é" * (3 * MAX_CARRY_CHARS + 10)
    data = f'{overlong}"'.encode() + end + (b"next\n" if end else b"")
    reader = LineReader(io.BytesIO(data), TextEncoding.UTF8, 0)
    first = next(iter(reader))
    # Memory stays bounded; the quote is dropped so that it cannot open a field.
    assert first == "é" * 200 + "\n"
    assert reader.tainted
    assert reader.offset == len(data) - (5 if end else 0)  # right after its line break
    assert lines_of(data, TextEncoding.UTF8)[1:] == ([("next\n", len(data))] if end else [])
