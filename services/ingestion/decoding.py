"""Bytes to text for CSV uploads: encoding detection and streamed, offset-exact decoding.

Encodings: a BOM names UTF-8 or UTF-16 (LE/BE). Without one the file is UTF-8 unless it holds a
byte sequence that is not UTF-8 before any valid multi-byte character, in which case it is
Windows-1252 (with Latin-1 for the five bytes cp1252 leaves undefined), which decodes anything.
A UTF-8 file with a few broken sequences stays UTF-8: those rows are `malformed_row`.

Undecodable bytes survive decoding as lone surrogates (`surrogateescape`, `surrogatepass`), so
re-encoding a line gives back its exact bytes: that is how every line knows its byte offset, and
how a job resumes from a byte offset after a crash.
"""

import codecs
import io
import re
from collections.abc import Callable, Iterator
from enum import Enum
from typing import BinaryIO, Final

CHUNK_BYTES: Final = 256 * 1024
# A line longer than this (a binary file without line breaks) is not held: the rest of it is read
# and dropped, and its first characters stand in for it as one line, marked tainted (malformed).
MAX_CARRY_CHARS: Final = 1 << 20
# How much of an overlong line stands in for it (enough to recognise it in the row errors).
_OVERLONG_SHOWN: Final = 200

# Characters PostgreSQL text cannot hold or that stand for undecodable bytes.
UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
# What a truncated UTF-16 tail decodes to: a lone surrogate, so its row is malformed.
_TRUNCATED: Final = "\udcff"


class TextEncoding(Enum):
    UTF8 = "utf-8"
    UTF16_LE = "utf-16-le"
    UTF16_BE = "utf-16-be"
    CP1252 = "windows-1252"


_BOMS: Final = (
    (codecs.BOM_UTF8, TextEncoding.UTF8),
    (codecs.BOM_UTF16_LE, TextEncoding.UTF16_LE),
    (codecs.BOM_UTF16_BE, TextEncoding.UTF16_BE),
)

# Latin-1 decoding, then cp1252's printable characters for 0x80-0x9F where it defines them.
_CP1252_TABLE: Final = {
    byte: ord(bytes([byte]).decode("cp1252"))
    for byte in range(0x80, 0xA0)
    if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def detect_encoding(file: BinaryIO) -> tuple[TextEncoding, int]:
    """The file's encoding and the length of its BOM; reads from the start, streamed.

    `b"\\xef\\xbb\\xbfname" -> (UTF8, 3)`, `b"Zo\\xe9" -> (CP1252, 0)`.
    """
    file.seek(0)
    head = file.read(3)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    file.seek(0)
    pending = b""
    multibyte_seen = False
    while True:
        chunk = file.read(CHUNK_BYTES)
        data = pending + chunk
        pending = b""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            valid = data[: error.start]
            multibyte_seen = multibyte_seen or not valid.isascii()
            if chunk and error.reason == "unexpected end of data":
                pending = data[error.start :]  # a character split across chunks
            else:
                return (TextEncoding.UTF8 if multibyte_seen else TextEncoding.CP1252), 0
        else:
            multibyte_seen = multibyte_seen or not data.isascii()
        if not chunk:
            return TextEncoding.UTF8, 0


Decode = Callable[[bytes, bool], str]
Measure = Callable[[str], int]


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))


def _codec(encoding: TextEncoding) -> tuple[Decode, Measure]:
    """How to decode chunks of `encoding` incrementally, and how many bytes a decoded line was."""
    if encoding is TextEncoding.CP1252:
        return (lambda data, final: data.decode("latin-1").translate(_CP1252_TABLE)), len
    if encoding is TextEncoding.UTF8:
        return codecs.getincrementaldecoder("utf-8")("surrogateescape").decode, _utf8_length
    name = encoding.value
    decoder = codecs.getincrementaldecoder(name)("surrogatepass")

    def decode(data: bytes, final: bool) -> str:
        try:
            text: str = decoder.decode(data, final)
        except UnicodeDecodeError:  # an odd byte at the very end
            return _TRUNCATED
        return text

    return decode, lambda text: len(text.encode(name, "surrogatepass"))


class LineReader:
    """Decoded lines of `file` from byte `offset`, split only at CR, LF or CRLF.

    Iterating yields each line with its terminator. `offset` is always the byte position just
    after the last line handed out, and `tainted` turns True once a line with undecodable
    bytes or NUL has been handed out (the caller resets it per record). `offset` must be 0, just
    after the BOM, or just after a line break, where no decoder state is pending.
    """

    def __init__(self, file: BinaryIO, encoding: TextEncoding, offset: int) -> None:
        self._file = file
        self._decode, self._measure = _codec(encoding)
        # Offsets are worked out when asked (once per batch), not per line: the lines of the
        # current chunk, how many were handed out, and the offset where the chunk began.
        self._chunk_start = offset
        self._chunk: list[str] = []
        self._handed = 0
        self.tainted = False
        file.seek(offset)

    @property
    def offset(self) -> int:
        return self._chunk_start + self._measure("".join(self._chunk[: self._handed]))

    def __iter__(self) -> Iterator[str]:
        carry = ""
        while True:
            data = self._file.read(CHUNK_BYTES)
            final = not data
            text = carry + self._decode(data, final)
            carry = ""
            if not text:
                return
            lines = io.StringIO(text, newline="").readlines()
            # A last line without its break (or with a CR whose LF may come next) waits for more.
            if not final and not lines[-1].endswith("\n"):
                carry = lines.pop()
            dirty = UNSTORABLE.search(text) is not None
            self._chunk, self._handed = lines, 0
            for line in lines:
                self._handed += 1
                if dirty and UNSTORABLE.search(line):
                    self.tainted = True
                yield line
            self._chunk_start += self._measure("".join(lines))
            self._chunk, self._handed = [], 0
            if final:
                return
            if len(carry) >= MAX_CARRY_CHARS:
                # Quotes dropped: an unclosed one would swallow the lines after it.
                head = carry[:_OVERLONG_SHOWN].replace('"', "") + "\n"
                # Read to its end first, so that the offset after it is a line boundary.
                size, carry = self._skip_line(carry)
                self._chunk_start += size
                self.tainted = True
                yield head

    def _skip_line(self, head: str) -> tuple[int, str]:
        """Read on to the end of the line `head` begins: its size in bytes and the text after it."""
        size = self._measure(head)
        while True:
            data = self._file.read(CHUNK_BYTES)
            text = self._decode(data, not data)
            lines = io.StringIO(text, newline="").readlines()
            if not data or (lines and lines[0].endswith(("\n", "\r"))):
                first = lines[0] if lines else ""
                return size + self._measure(first), text[len(first) :]
            size += self._measure(text)
