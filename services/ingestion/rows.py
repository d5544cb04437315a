"""One CSV row against the rules of docs/ingestion.md, as pure functions.

`check_row` returns the cleaned values of a row that may be stored, or the first reason (in the
order of `Reason`) that it may not, with the column and value at fault. Duplicate names are
decided by the caller, which knows what came earlier in the file and what the database holds.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from services.ingestion.reasons import Reason, printable
from services.profiles.age_groups import MAX_AGE, MIN_AGE, age_group_for
from services.profiles.countries import COUNTRY_NAMES
from services.profiles.names import normalize_name

REQUIRED_COLUMNS: Final = ("name", "gender", "age", "country_id")
OPTIONAL_COLUMNS: Final = ("gender_probability", "country_probability", "age_group", "country_name")
# Longer values would not fit a btree index entry (name) or are not names at all; such a row
# is malformed rather than a reason of its own, so the reason keys stay those of the design.
MAX_VALUE_CHARS: Final = 500

_GENDERS: Final = {"male": "male", "female": "female", "m": "male", "f": "female"}
# ASCII digits only ("٣" is a digit to Python); "25.0" and "0025" are whole numbers, "25.5" is
# not. Leading zeros are skipped so that the three digits kept are the significant ones.
_WHOLE_NUMBER: Final = re.compile(r"0*([0-9]{1,3})(?:\.0*)?")
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class HeaderError(ValueError):
    """The header row lacks a required column; the job fails and nothing is inserted."""


# The order of `Header.index`: where check_row finds each column (-1: not in the file).
_COLUMNS: Final = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


@dataclass(frozen=True, slots=True)
class Header:
    """Where each known column sits; header names are trimmed and matched case-insensitively."""

    width: int
    positions: Mapping[str, int]
    index: tuple[int, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "index", tuple(self.positions.get(column, -1) for column in _COLUMNS)
        )

    @classmethod
    def parse(cls, fields: Sequence[str]) -> "Header":
        positions: dict[str, int] = {}
        for index, name in enumerate(fields):
            positions.setdefault(name.strip().lower(), index)
        missing = [column for column in REQUIRED_COLUMNS if column not in positions]
        if missing:
            names = [name.strip() for name in fields if name.strip()]
            found = printable(", ".join(names)) if names else "nothing"
            raise HeaderError(
                f"the header row lacks the required column(s) {', '.join(missing)} "
                f"(required: {', '.join(REQUIRED_COLUMNS)}; found: {found})"
            )
        known: dict[str, int] = {c: positions[c] for c in _COLUMNS if c in positions}
        return cls(width=len(fields), positions=known)


class CleanRow(NamedTuple):
    """A row that may be stored, normalised; probabilities as text (see `_probability`)."""

    name: str
    key: str
    gender: str
    gender_probability: str | None
    age: int
    country_id: str
    country_name: str
    country_probability: str | None


class Rejection(NamedTuple):
    reason: Reason
    column: str | None
    value: str | None


def check_row(
    fields: Sequence[str], header: Header, *, tainted: bool = False
) -> CleanRow | Rejection:
    """Clean a row or say why it is skipped. `tainted`: the row held undecodable bytes or NUL.

    `["Ada  Obi", "F", "25", "ng"] -> CleanRow("Ada Obi", "ada obi", "female", None, 25, "NG",
    "Nigeria", None)`; `["Ada", "F", "25.5", "NG"] -> Rejection(INVALID_AGE, "age", "25.5")`.
    """
    # Runs once per row of every upload: plain locals and early returns, no per-row mappings.
    if len(fields) != header.width or tainted:
        return Rejection(Reason.MALFORMED_ROW, None, ",".join(fields))
    at_name, at_gender, at_age, at_country, at_gp, at_cp, at_group, at_label = header.index
    # The limit is on what would be stored: trimmed, and NFC, which can triple a name's length.
    name = normalize_name(fields[at_name])
    label = " ".join(fields[at_label].split()) if at_label >= 0 else ""
    if len(name) > MAX_VALUE_CHARS or len(label) > MAX_VALUE_CHARS:
        return Rejection(Reason.MALFORMED_ROW, None, ",".join(fields))
    gender_text = fields[at_gender].strip()
    age_text = fields[at_age].strip()
    country_text = fields[at_country].strip()
    if not name:
        return Rejection(Reason.MISSING_FIELDS, "name", "")
    if not gender_text:
        return Rejection(Reason.MISSING_FIELDS, "gender", "")
    if not age_text:
        return Rejection(Reason.MISSING_FIELDS, "age", "")
    if not country_text:
        return Rejection(Reason.MISSING_FIELDS, "country_id", "")
    gender = _GENDERS.get(gender_text.lower())
    if gender is None:
        return Rejection(Reason.INVALID_GENDER, "gender", gender_text)
    age = _whole_number(age_text)
    if not MIN_AGE <= age <= MAX_AGE:
        return Rejection(Reason.INVALID_AGE, "age", age_text)
    country_id = country_text.upper()
    country = COUNTRY_NAMES.get(country_id)
    if country is None:
        return Rejection(Reason.INVALID_COUNTRY, "country_id", country_text)
    gender_p_text = fields[at_gp].strip() if at_gp >= 0 else ""
    gender_probability = _probability(gender_p_text) if gender_p_text else None
    if gender_p_text and gender_probability is None:
        return Rejection(Reason.INVALID_PROBABILITY, "gender_probability", gender_p_text)
    country_p_text = fields[at_cp].strip() if at_cp >= 0 else ""
    country_probability = _probability(country_p_text) if country_p_text else None
    if country_p_text and country_probability is None:
        return Rejection(Reason.INVALID_PROBABILITY, "country_probability", country_p_text)
    age_group = fields[at_group].strip() if at_group >= 0 else ""
    if age_group and age_group.lower() != _AGE_GROUP_OF[age]:
        return Rejection(Reason.INVALID_AGE_GROUP, "age_group", age_group)
    return CleanRow(
        name=name,
        key=_key_of_normalized(name),
        gender=gender,
        gender_probability=gender_probability,
        age=age,
        country_id=country_id,
        country_name=label or country,
        country_probability=country_probability,
    )


_AGE_GROUP_OF: Final = tuple(age_group_for(age).value for age in range(MAX_AGE + 1))


def _whole_number(text: str) -> int:
    """`"25"`, `"25.0"`, `"0025"` -> 25; -1 for anything else ("25.5", "-3", "twenty")."""
    if text.isdigit() and text.isascii() and len(text) <= 3:
        return int(text)
    match = _WHOLE_NUMBER.fullmatch(text)
    return int(match.group(1)) if match else -1


def _probability(text: str) -> str | None:
    """`text` as it is stored, or None when it is not a number in 0..1.

    A number too small for a double ("1e-400") is stored as "0": PostgreSQL refuses to read it
    ("out of range"), which would fail the whole batch."""
    if _DECIMAL.fullmatch(text) is None:
        return None
    value = float(text)
    if not 0.0 <= value <= 1.0:
        return None
    return text if value else "0"


def _key_of_normalized(name: str) -> str:
    """`name_key(name)` for a name normalize_name already returned (which it leaves as it is),
    without normalising it a second time; a property test holds the two equal."""
    return unicodedata.normalize("NFC", name.casefold())
