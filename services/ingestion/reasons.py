"""Why a CSV row is skipped: the reason keys, in the order they are checked (docs/ingestion.md)."""

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from services.ingestion.decoding import UNSTORABLE


class Reason(Enum):
    """The first reason that applies, in this order, is the one a skipped row is counted under."""

    MALFORMED_ROW = "malformed_row"
    MISSING_FIELDS = "missing_fields"
    INVALID_GENDER = "invalid_gender"
    INVALID_AGE = "invalid_age"
    INVALID_COUNTRY = "invalid_country"
    INVALID_PROBABILITY = "invalid_probability"
    INVALID_AGE_GROUP = "invalid_age_group"
    DUPLICATE_NAME = "duplicate_name"


REASON_ORDER: Final[tuple[Reason, ...]] = tuple(Reason)


MAX_KEPT_ERRORS: Final = 1000
# Stored values are cut to this length: enough to recognise the row, bounded per job.
MAX_ERROR_VALUE_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class RowError:
    """One skipped row as kept on the job: 1-based physical line where its record starts."""

    line: int
    reason: Reason
    column: str | None
    value: str | None

    @classmethod
    def of(cls, line: int, reason: Reason, column: str | None, value: str | None) -> "RowError":
        return cls(line, reason, column, None if value is None else printable(value))


def printable(value: str) -> str:
    """`value` cut short, undecodable bytes and NUL shown as escapes PostgreSQL can store.

    `"Zo\\udce9" -> "Zo\\\\xe9"` (the byte 0xE9 that was not UTF-8).
    """
    return UNSTORABLE.sub(_escape, value[:MAX_ERROR_VALUE_CHARS])


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte `surrogateescape` could not decode
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
