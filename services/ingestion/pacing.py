"""Ingestion yields to queries: while this process serves API requests, batches get small and
the runner rests between them.

Measured on 2 cores (bench/ingestion.py): a query that overlaps a batch write is 2-3x slower,
from the CPU the write takes and from the batch's not yet committed rows, which index scans
over the newest profiles must step over (an open transaction holding 50k inserted rows made
page queries 2.5x slower with no CPU load at all). The first cost shrinks with the share of
time spent writing, the second with the batch size. So while requests are in flight or were
seen within `BUSY_WINDOW_SECONDS`, batches are at most `BUSY_BATCH_ROWS` and writing takes at
most `BUSY_WRITE_SHARE` of the time (a 500k-row file then takes ~4x as long under a steady
query load). With nobody querying, ingestion runs at full speed. Only reads of the profiles
count (graph/extensions/query_load.py): uploads, a client following its job and interview
queries do not; each process knows only the requests it serves itself.
"""

import math
import time
from collections.abc import Callable
from typing import Final

BUSY_WINDOW_SECONDS: Final = 0.5
BUSY_BATCH_ROWS: Final = 5_000
BUSY_WRITE_SHARE: Final = 0.5


class QueryActivity:
    """When this process last served an API request (the API layer reports each one)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight = 0
        self._last = -math.inf

    def started(self) -> None:
        self._in_flight += 1
        self._last = self._clock()

    def finished(self) -> None:
        self._in_flight -= 1
        self._last = self._clock()

    def busy(self) -> bool:
        return self._in_flight > 0 or self._clock() - self._last < BUSY_WINDOW_SECONDS


def batch_rows(activity: QueryActivity, wanted: int) -> int:
    """Rows for the next batch: as wanted, or few while queries are being served."""
    return min(wanted, BUSY_BATCH_ROWS) if activity.busy() else wanted


def rest_after(activity: QueryActivity, write_seconds: float) -> float:
    """Seconds to wait after a write that took `write_seconds`; 0 when nobody is querying."""
    if not activity.busy():
        return 0.0
    return write_seconds * (1 - BUSY_WRITE_SHARE) / BUSY_WRITE_SHARE
