"""Generated CSV files whose correct accounting is known by construction (for property tests)."""

import csv
import io
from collections import Counter
from dataclasses import dataclass

from hypothesis import strategies as st

from services.ingestion.reasons import Reason

HEADER = ["name", "gender", "age", "country_id", "gender_probability", "age_group"]
# Characters every encoding under test can hold, including CSV's special ones.
NAME_CHARS = "abcXYZ éÑßü,\"'\n\r\t-"
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")
NEWLINES = ("\n", "\r\n", "\r")
# What makes a row fail, by the reason it must be counted under.
BREAKERS = {
    Reason.MISSING_FIELDS: {"gender": ""},
    Reason.INVALID_GENDER: {"gender": "x"},
    Reason.INVALID_AGE: {"age": "25.5"},
    Reason.INVALID_COUNTRY: {"country_id": "XX"},
    Reason.INVALID_PROBABILITY: {"gender_probability": "1.5"},
    Reason.INVALID_AGE_GROUP: {"age_group": "child"},
}


@dataclass(frozen=True)
class GeneratedCsv:
    data: bytes
    rows: int
    # Rows that must be skipped, by reason; duplicates counted both inside the file and
    # against `existing` names.
    expected: Counter[Reason]
    valid_names: tuple[str, ...]


@st.composite
def csv_files(draw: st.DrawFn, *, max_rows: int = 40, prefix: str = "") -> GeneratedCsv:
    kinds = draw(
        st.lists(
            st.sampled_from([None, None, None, Reason.MALFORMED_ROW, Reason.DUPLICATE_NAME,
                             *BREAKERS]),
            max_size=max_rows,
        )
    )  # fmt: skip
    newline = draw(st.sampled_from(NEWLINES))
    encoding = draw(st.sampled_from(ENCODINGS))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    # csv quotes only the characters of its own line terminator; a reader knows all three.
    quoting_writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    expected: Counter[Reason] = Counter()
    valid: list[str] = []
    for index, kind in enumerate(kinds):
        if draw(st.booleans()) and draw(st.booleans()):
            buffer.write(newline)  # a blank line: ignored, not a row
        name = prefix + draw(st.text(NAME_CHARS, max_size=8)) + f" #{index}"
        values = {"name": name, "gender": "f", "age": "30", "country_id": "ng",
                  "gender_probability": "0.5", "age_group": "adult"}  # fmt: skip
        if kind is Reason.DUPLICATE_NAME and valid:
            values["name"] = draw(st.sampled_from(valid)).upper()
        elif kind is Reason.DUPLICATE_NAME:
            kind = None
        values.update(BREAKERS.get(kind, {}) if kind is not None else {})
        fields = [values[column] for column in HEADER]
        if kind is Reason.MALFORMED_ROW:
            fields.append("extra")
        has_break = any("\r" in field or "\n" in field for field in fields)
        (quoting_writer if has_break else writer).writerow(fields)
        if kind is None:
            valid.append(name)
        else:
            expected[kind] += 1
    return GeneratedCsv(
        data=buffer.getvalue().encode(encoding),
        rows=len(kinds),
        expected=expected,
        valid_names=tuple(valid),
    )
