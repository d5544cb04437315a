"""Rules every piece of client text obeys before it reaches PostgreSQL."""

from typing import Any

import orjson

from services.errors import bad_input


def storable_text(value: str, *, field: str) -> str:
    """PostgreSQL text cannot hold NUL characters: refuse them as bad input, not a crash."""
    if "\x00" in value:
        raise bad_input(f"{field} contains a NUL character", field=field)
    return value


def storable_json(value: Any, *, field: str, max_bytes: int) -> None:
    """JSON that jsonb accepts (no \\u0000 anywhere) and no larger than `max_bytes`."""
    encoded = orjson.dumps(value)
    if len(encoded) > max_bytes:
        raise bad_input(f"{field} is larger than {max_bytes} bytes", field=field)
    if b"\\u0000" in encoded:
        raise bad_input(f"{field} contains a NUL character", field=field)
