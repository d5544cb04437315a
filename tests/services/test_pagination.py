from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.errors import ErrorCode, ServiceError
from services.pagination import Cursor, PageRequest, decode_cursor, encode_cursor

values = st.one_of(
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text().filter(lambda text: "\x00" not in text),
    st.datetimes(timezones=st.just(UTC)),
)


@given(sort=st.text(max_size=30), value=values, id=st.uuids())
def test_cursor_round_trips(sort: str, value: int | float | str | datetime, id: UUID) -> None:
    cursor = Cursor(sort=sort, value=value, id=id)
    assert decode_cursor(encode_cursor(cursor)) == cursor


@given(text=st.text(max_size=200))
def test_any_text_decodes_to_a_cursor_or_bad_user_input(text: str) -> None:
    try:
        cursor = decode_cursor(text)
    except ServiceError as error:
        code = error.code
    else:
        assert encode_cursor(cursor)  # whatever decodes must be a usable cursor
        code = ErrorCode.BAD_USER_INPUT
    assert code is ErrorCode.BAD_USER_INPUT


@pytest.mark.parametrize("first", [0, -1, 101, 10**9])
def test_first_outside_1_to_100_is_bad_user_input(first: int) -> None:
    with pytest.raises(ServiceError) as raised:
        PageRequest.parse(first=first, after=None)
    assert raised.value.code is ErrorCode.BAD_USER_INPUT
    assert raised.value.field == "first"
