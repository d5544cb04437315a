"""One rule against spreadsheet formula injection in every CSV export (OWASP "CSV Injection").

A cell whose first visible character is a formula trigger gets a leading apostrophe, which
spreadsheets read as "this is text" and do not show. "First visible": spreadsheets skip
leading spaces (Unicode ones and NBSP included) and invisible format characters (zero-width
space, BOM, bidi marks) before they look for `=`, so the rule skips them too.

    " =1+1"      -> "' =1+1"
    "\\u200b@SUM" -> "'\\u200b@SUM"
    "a = b"      -> "a = b"

The rule is one regular expression, FORMULA_PATTERN, written so that Python's `re` and
PostgreSQL's `~` read it alike (every character a `\\uXXXX` escape in a bracket expression):
the transcript export applies it in Python (`escape_formula`), the profile export inside its
COPY (db/profiles.py), and tests/services/platform/test_csv_formulas.py checks both give one answer.
"""

import re
from typing import Final

TRIGGERS: Final = "=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20"  # full-width = + - @ as well
# str.isspace() characters, then format characters that show as nothing.
IGNORABLE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    "\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
)


def _bracket(characters: str) -> str:
    return "[" + "".join(f"\\u{ord(character):04x}" for character in characters) + "]"


FORMULA_PATTERN: Final = f"^{_bracket(IGNORABLE)}*{_bracket(TRIGGERS)}"
_FORMULA: Final = re.compile(FORMULA_PATTERN)


def could_run_as_formula(cell: str) -> bool:
    return _FORMULA.match(cell) is not None


def escape_formula(cell: str) -> str:
    """`"=HYPERLINK(...)"` -> `"'=HYPERLINK(...)"`; cells that cannot start a formula stay."""
    return "'" + cell if could_run_as_formula(cell) else cell
