"""Row rules: every reason, the order they are checked in, and header matching."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingestion.reasons import Reason
from services.ingestion.rows import CleanRow, Header, HeaderError, Rejection, check_row
from services.profiles.names import name_key, normalize_name

HEADER = Header.parse(
    ["name", "gender", "age", "country_id", "gender_probability", "country_probability",
     "age_group", "country_name"]
)  # fmt: skip


def row(
    name: str = "Ada Obi",
    gender: str = "female",
    age: str = "30",
    country: str = "NG",
    gender_p: str = "",
    country_p: str = "",
    age_group: str = "",
    country_name: str = "",
) -> list[str]:
    return [name, gender, age, country, gender_p, country_p, age_group, country_name]


def reason_of(fields: list[str], *, tainted: bool = False) -> Reason | None:
    checked = check_row(fields, HEADER, tainted=tainted)
    return checked.reason if isinstance(checked, Rejection) else None


def test_a_good_row_is_cleaned() -> None:
    checked = check_row(
        row(name="  Ada \n Obi ", gender=" F ", age=" 25 ", country="ng", gender_p="0.9",
            country_p="1", age_group="ADULT"),
        HEADER,
    )  # fmt: skip
    assert checked == CleanRow(
        name="Ada Obi",
        key="ada obi",
        gender="female",
        gender_probability="0.9",
        age=25,
        country_id="NG",
        country_name="Nigeria",
        country_probability="1",
    )


@pytest.mark.parametrize(
    ("fields", "reason", "column"),
    [
        (row()[:-1], Reason.MALFORMED_ROW, None),
        ([*row(), "extra"], Reason.MALFORMED_ROW, None),
        (row(name="   "), Reason.MISSING_FIELDS, "name"),
        (row(gender=""), Reason.MISSING_FIELDS, "gender"),
        (row(age=" "), Reason.MISSING_FIELDS, "age"),
        (row(country=""), Reason.MISSING_FIELDS, "country_id"),
        (row(gender="woman"), Reason.INVALID_GENDER, "gender"),
        (row(gender="x"), Reason.INVALID_GENDER, "gender"),
        (row(age="twenty-five"), Reason.INVALID_AGE, "age"),
        (row(age="-3"), Reason.INVALID_AGE, "age"),
        (row(age="25.5"), Reason.INVALID_AGE, "age"),
        (row(age="151"), Reason.INVALID_AGE, "age"),
        (row(age="٣"), Reason.INVALID_AGE, "age"),  # a digit to Python, not to us
        (row(country="XX"), Reason.INVALID_COUNTRY, "country_id"),
        (row(country="NGA"), Reason.INVALID_COUNTRY, "country_id"),
        (row(gender_p="1.5"), Reason.INVALID_PROBABILITY, "gender_probability"),
        (row(country_p="-0.1"), Reason.INVALID_PROBABILITY, "country_probability"),
        (row(gender_p="nan"), Reason.INVALID_PROBABILITY, "gender_probability"),
        (row(gender_p="high"), Reason.INVALID_PROBABILITY, "gender_probability"),
        (row(age="12", age_group="adult"), Reason.INVALID_AGE_GROUP, "age_group"),
        (row(age="30", age_group="toddler"), Reason.INVALID_AGE_GROUP, "age_group"),
    ],
)
def test_each_reason(fields: list[str], reason: Reason, column: str | None) -> None:
    checked = check_row(fields, HEADER)
    assert isinstance(checked, Rejection)
    assert (checked.reason, checked.column) == (reason, column)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        # Each row breaks every rule from its reason on; the first in the documented order is
        # counted.
        (row(name="", gender="x", age="x", country="XX", gender_p="9"), Reason.MISSING_FIELDS),
        (row(gender="x", age="x", country="XX", gender_p="9"), Reason.INVALID_GENDER),
        (row(age="x", country="XX", gender_p="9", age_group="senior"), Reason.INVALID_AGE),
        (row(country="XX", gender_p="9", age_group="senior"), Reason.INVALID_COUNTRY),
        (row(gender_p="9", age_group="senior"), Reason.INVALID_PROBABILITY),
    ],
)
def test_the_first_reason_in_order_counts(fields: list[str], reason: Reason) -> None:
    assert reason_of(fields) is reason


def test_undecodable_bytes_make_a_row_malformed_before_anything_else() -> None:
    assert reason_of(row(), tainted=True) is Reason.MALFORMED_ROW


@pytest.mark.parametrize(
    ("age", "group"), [("0", "child"), ("12", "child"), ("13", "Teenager"), ("150", "SENIOR")]
)
def test_age_group_agreeing_with_age_is_accepted(age: str, group: str) -> None:
    assert isinstance(check_row(row(age=age, age_group=group), HEADER), CleanRow)


@pytest.mark.parametrize(
    ("text", "age"),
    [("007", 7), ("0025", 25), ("00150.0", 150), ("25.0", 25), ("150", 150), ("0", 0)],
)
def test_whole_numbers(text: str, age: int) -> None:
    checked = check_row(row(age=text), HEADER)
    assert isinstance(checked, CleanRow)
    assert checked.age == age


@pytest.mark.parametrize("gender", ["male", "MALE", "m", "M", " Male "])
def test_gender_spellings(gender: str) -> None:
    checked = check_row(row(gender=gender), HEADER)
    assert isinstance(checked, CleanRow)
    assert checked.gender == "male"


def test_given_country_name_is_kept_with_whitespace_collapsed() -> None:
    checked = check_row(row(country="ci", country_name=" Ivory\n Coast "), HEADER)
    assert isinstance(checked, CleanRow)
    assert (checked.country_id, checked.country_name) == ("CI", "Ivory Coast")


def test_overlong_name_is_malformed_not_a_database_error() -> None:
    assert reason_of(row(name="A" * 501)) is Reason.MALFORMED_ROW


def test_the_name_limit_applies_to_the_trimmed_normalised_name() -> None:
    # Values are trimmed (docs/ingestion.md): padding does not make a name too long ...
    checked = check_row(row(name=" Ada " + " " * 600), HEADER)
    assert isinstance(checked, CleanRow)
    assert checked.name == "Ada"
    assert reason_of(row(name=" " * 600)) is Reason.MISSING_FIELDS
    # ... and a name NFC makes three times longer is over the limit that was checked.
    assert reason_of(row(name="\U0001d160" * 200)) is Reason.MALFORMED_ROW


def test_header_is_matched_trimmed_case_insensitively_in_any_order() -> None:
    header = Header.parse([" Country_ID", "AGE ", "notes", "Name", "GENDER"])
    assert header.width == 5
    assert dict(header.positions) == {"country_id": 0, "age": 1, "name": 3, "gender": 4}
    checked = check_row(["ke", "40", "ignored", "Wanjiru", "f"], header)
    assert isinstance(checked, CleanRow)
    assert (checked.name, checked.country_id, checked.country_name) == ("Wanjiru", "KE", "Kenya")


def test_missing_required_header_names_what_is_missing() -> None:
    with pytest.raises(HeaderError, match="age, country_id"):
        Header.parse(["name", "gender", "country"])


@given(raw=st.text(min_size=1, max_size=40))
def test_the_stored_key_is_name_key_of_the_raw_name(raw: str) -> None:
    checked = check_row(row(name=raw), HEADER)
    if isinstance(checked, CleanRow):
        assert checked.key == name_key(raw)
        assert checked.name == normalize_name(raw)
    else:
        assert normalize_name(raw) == ""
        assert checked.reason is Reason.MISSING_FIELDS
