"""UUIDv7 ids: time-ordered, so new rows land at the right edge of the primary key index."""

import os
import time
from uuid import UUID


def uuid7(now_ms: int | None = None) -> UUID:
    """A version-7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits."""
    timestamp = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = (timestamp & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return UUID(int=value)
