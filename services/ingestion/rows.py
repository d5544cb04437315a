"""One CSV row against the rules of DESIGN section 4, as pure functions.

`check_row` returns the cleaned values of a row that may be stored, or the first reason (in the
order of `Reason`) that it may not, with the column and value at fault. Duplicate names are
decided by the caller, which knows what came earlier in the file and what the database holds.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from services.ingestion.reasons import Reason, printable
from services.profiles.age_groups import MAX_AGE, MIN_AGE, age_group_for
from services.profiles.countries import country_name, is_country_code
from services.profiles.names import name_key, normalize_name

REQUIRED_COLUMNS: Final = ("name", "gender", "age", "country_id")
OPTIONAL_COLUMNS: Final = ("gender_probability", "country_probability", "age_group", "country_name")
# Longer values would not fit a btree index entry (name) or are not names at all; such a row
# is malformed rather than a reason of its own, so the reason keys stay those of the design.
MAX_VALUE_CHARS: Final = 500

_GENDERS: Final = {"male": "male", "female": "female", "m": "male", "f": "female"}
# ASCII digits only ("٣" is a digit to Python); "25.0" is a whole number, "25.5" is not.
_WHOLE_NUMBER: Final = re.compile(r"([0-9]{1,3})(?:\.0*)?")
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class HeaderError(ValueError):
    """The header row lacks a required column; the job fails and nothing is inserted."""


@dataclass(frozen=True, slots=True)
class Header:
    """Where each known column sits; header names are trimmed and matched case-insensitively."""

    width: int
    positions: Mapping[str, int]
    # The optional columns present, a subset of `positions`.
    optional: Mapping[str, int]

    @classmethod
    def parse(cls, fields: Sequence[str]) -> "Header":
        positions: dict[str, int] = {}
        for index, field in enumerate(fields):
            positions.setdefault(field.strip().lower(), index)
        missing = [column for column in REQUIRED_COLUMNS if column not in positions]
        if missing:
            names = [field.strip() for field in fields if field.strip()]
            found = printable(", ".join(names)) if names else "nothing"
            raise HeaderError(
                f"the header row lacks the required column(s) {', '.join(missing)} "
                f"(required: {', '.join(REQUIRED_COLUMNS)}; found: {found})"
            )
        known: dict[str, int] = {
            column: positions[column]
            for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
            if column in positions
        }
        optional = {column: at for column, at in known.items() if column in OPTIONAL_COLUMNS}
        return cls(width=len(fields), positions=known, optional=optional)


class CleanRow(NamedTuple):
    """A row that may be stored, normalised; probabilities stay as validated text."""

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
    if len(fields) != header.width or tainted:
        return Rejection(Reason.MALFORMED_ROW, None, ",".join(fields))
    at = header.positions
    raw_name = fields[at["name"]]
    gender_text = fields[at["gender"]].strip()
    age_text = fields[at["age"]].strip()
    country_text = fields[at["country_id"]].strip()
    optional = {column: fields[index].strip() for column, index in header.optional.items()}
    country_label = " ".join(optional.get("country_name", "").split())
    if len(raw_name) > MAX_VALUE_CHARS or len(country_label) > MAX_VALUE_CHARS:
        return Rejection(Reason.MALFORMED_ROW, None, ",".join(fields))
    name = normalize_name(raw_name)
    for column, value in (
        ("name", name),
        ("gender", gender_text),
        ("age", age_text),
        ("country_id", country_text),
    ):
        if not value:
            return Rejection(Reason.MISSING_FIELDS, column, value)
    gender = _GENDERS.get(gender_text.lower())
    if gender is None:
        return Rejection(Reason.INVALID_GENDER, "gender", gender_text)
    age_match = _WHOLE_NUMBER.fullmatch(age_text)
    age = int(age_match.group(1)) if age_match else -1
    if not MIN_AGE <= age <= MAX_AGE:
        return Rejection(Reason.INVALID_AGE, "age", age_text)
    country_id = country_text.upper()
    if not is_country_code(country_id):
        return Rejection(Reason.INVALID_COUNTRY, "country_id", country_text)
    gender_probability = optional.get("gender_probability") or None
    country_probability = optional.get("country_probability") or None
    for column, text in (
        ("gender_probability", gender_probability),
        ("country_probability", country_probability),
    ):
        if text is not None and not (_DECIMAL.fullmatch(text) and 0.0 <= float(text) <= 1.0):
            return Rejection(Reason.INVALID_PROBABILITY, column, text)
    age_group = optional.get("age_group")
    if age_group and age_group.lower() != age_group_for(age).value:
        return Rejection(Reason.INVALID_AGE_GROUP, "age_group", age_group)
    return CleanRow(
        name=name,
        key=name_key(name),
        gender=gender,
        gender_probability=gender_probability,
        age=age,
        country_id=country_id,
        country_name=country_label or country_name(country_id) or country_id,
        country_probability=country_probability,
    )
