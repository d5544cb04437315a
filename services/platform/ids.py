"""UUIDv7 ids: time-ordered, so new rows land at the right edge of the primary key index."""

import os
import time
from collections.abc import Iterator
from uuid import UUID

_RANDOM_BITS = 74  # 128 - 48 timestamp bits - 4 version bits - 2 variant bits


def uuid7(now_ms: int | None = None) -> UUID:
    """A version-7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits."""
    timestamp = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    random_bits = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS)
    return UUID(hex=uuid7_hex(timestamp, random_bits))


def uuid7_hexes(chunk: int = 4096) -> Iterator[str]:
    """UUIDv7s as 32 hex digits each (PostgreSQL's uuid input reads them), endlessly: many
    rows' ids made where the rows are made, not one SQL call per row. Random bytes are read
    `chunk` ids at a time; each chunk takes the millisecond it starts in."""
    from_bytes, shift = int.from_bytes, 80 - _RANDOM_BITS
    while True:
        timestamp = time.time_ns() // 1_000_000
        randoms = os.urandom(10 * chunk)
        for at in range(0, 10 * chunk, 10):
            yield uuid7_hex(timestamp, from_bytes(randoms[at : at + 10], "big") >> shift)


def uuid7_hex(millis: int, random_bits: int) -> str:
    """A UUIDv7 as 32 hex digits: 48 bits of Unix milliseconds, version 7, 12 random bits,
    the RFC 4122 variant, 62 random bits (of `random_bits`' lowest 74)."""
    value = (
        (millis & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | ((random_bits >> 62) & 0xFFF) << 64
        | 0x2 << 62
        | (random_bits & ((1 << 62) - 1))
    )
    return f"{value:032x}"
