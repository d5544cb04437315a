"""Ids in GraphQL arguments (an `ID`, or a cursor that is a row's id) are UUIDs, parsed here once.

A value that is not one is BAD_USER_INPUT naming the argument, before any service runs:
`parse_id("7", field="interviewId", kind="interview")` refuses with "'7' is not an interview
id (a UUID)".
"""

from uuid import UUID

from services.errors import bad_input


def parse_id(value: str, *, field: str, kind: str) -> UUID:
    try:
        return UUID(value)
    except (ValueError, AttributeError, TypeError):
        article = "an" if kind[:1] in "aeiou" else "a"
        raise bad_input(f"{value!r} is not {article} {kind} id (a UUID)", field=field) from None
