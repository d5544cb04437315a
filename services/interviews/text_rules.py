"""Rules every piece of client text obeys before it reaches PostgreSQL."""

import math
from typing import Any, Final

import orjson

from services.errors import bad_input

# orjson (our jsonb codec, db/pool.py) refuses more than 254 levels and integers outside
# 64 bits; a transcript is three levels deep, so 64 leaves room for any honest shape.
MAX_JSON_DEPTH: Final = 64
_INT64: Final = range(-(2**63), 2**63)


def storable_text(value: str, *, field: str) -> str:
    """PostgreSQL text cannot hold NUL characters: refuse them as bad input, not a crash."""
    if "\x00" in value:
        raise bad_input(f"{field} contains a NUL character", field=field)
    return value


def storable_json(value: Any, *, field: str, max_bytes: int) -> None:
    """JSON that jsonb accepts (no \\u0000 anywhere), no deeper than MAX_JSON_DEPTH, numbers
    that survive the round trip (64-bit integers, finite floats) and no larger than
    `max_bytes`."""
    _check_shape(value, field=field)
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        raise bad_input(f"{field} is not storable JSON ({error})", field=field) from None
    if len(encoded) > max_bytes:
        raise bad_input(f"{field} is larger than {max_bytes} bytes", field=field)
    if b"\\u0000" in encoded:
        raise bad_input(f"{field} contains a NUL character", field=field)


def _check_shape(value: Any, *, field: str) -> None:
    # Iterative, so that a value nested past Python's recursion limit is refused, not a crash.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise bad_input(f"{field} nests deeper than {MAX_JSON_DEPTH} levels", field=field)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int) and item not in _INT64:
            raise bad_input(f"{field} holds an integer outside 64 bits", field=field)
        elif isinstance(item, float) and not math.isfinite(item):
            # GraphQL literals too large for an integer arrive as NaN (graphql-core).
            raise bad_input(f"{field} holds a number that is not finite", field=field)
