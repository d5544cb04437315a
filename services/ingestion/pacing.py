"""Ingestion yields to queries by what they suffer: the recent latency of profile reads that
overlapped a batch write, against the latency of those that did not.

A batch write can slow the reads that run beside it: it takes CPU, and its not yet committed
rows are stepped over by index scans of the newest profiles (an open transaction holding 50k
inserted rows made page queries 2.5x slower on 2 cores with no CPU load at all). Whether it
does depends on the machine and the data: at 10M profiles, query p95 stayed 12-15 ms with or
without ingestion, and slowing down whenever a request arrived gave up throughput for nothing.

So the process keeps samples of its profile reads (graph/extensions/query_load.py reports
each one): those served while no ingestion job ran here (the idle level), those served while a
job ran (what ingestion costs them: reads overlapping a batch write, and reads in the writer's
rests, which the parse process and the write's after-effects still slow), and, of the latter,
those that overlapped no write (the level while resting, the idle level's stand-in until reads
without a job were seen). After each batch the job's `Pacer` compares the p95 of the recent
reads during the job with the idle p95: above `SLOWDOWN_LIMIT`, batches halve (down to
`MIN_BATCH_ROWS`) and the writer rests so that writing takes a smaller share of the time (down
to `MIN_WRITE_SHARE`: with writing under 5% of the time, the reads a write slows fall out of the
p95); below it, they grow back to full speed. Without profile reads in the last `QUIET_SECONDS`
ingestion runs at full speed; with reads but no idle level yet, it starts at `BUSY_BATCH_ROWS`
with half the time writing, and its rests give a level.
Only reads of the profiles are reported: uploads, interview queries and a client following its
job (by polling or subscription) never slow ingestion. Each process knows only the requests it
serves itself.
"""

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

# Reads within this long make ingestion watch its effect on them; without any, full speed.
QUIET_SECONDS: Final = 1.0
# Overlapped reads finished within this long are "recent"; fewer than MIN_SAMPLES: no verdict.
RECENT_SECONDS: Final = 3.0
MIN_SAMPLES: Final = 5
IDLE_SAMPLES: Final = 200
# A p95 of reads during a job above this multiple of the idle p95 makes ingestion back off.
# Below the 2x that docs/ingestion.md promises, so that one batch of over-shoot stays inside it.
SLOWDOWN_LIMIT: Final = 1.7
# Where pacing starts while reads are served and no idle level is known.
BUSY_BATCH_ROWS: Final = 5_000
BUSY_WRITE_SHARE: Final = 0.5
MIN_BATCH_ROWS: Final = 500
MIN_WRITE_SHARE: Final = 0.03


@dataclass(frozen=True, slots=True)
class ReadTicket:
    started: float
    writes_started: int
    writing: bool
    jobs_started: int
    ingesting: bool


class QueryActivity:
    """This process's profile reads (the API layer reports each one), its ingestion jobs and
    their batch writes (the ingestion runner reports each)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight = 0
        self._last = -math.inf
        self._writing = 0
        self._writes_started = 0
        self._ingesting = 0
        self._jobs_started = 0
        self._idle: deque[float] = deque(maxlen=IDLE_SAMPLES)
        self._resting: deque[float] = deque(maxlen=IDLE_SAMPLES)
        self._during_jobs: deque[tuple[float, float]] = deque(maxlen=IDLE_SAMPLES)

    def started(self) -> ReadTicket:
        self._in_flight += 1
        now = self._last = self._clock()
        return ReadTicket(
            now, self._writes_started, self._writing > 0, self._jobs_started, self._ingesting > 0
        )

    def finished(self, ticket: ReadTicket) -> None:
        self._in_flight -= 1
        now = self._last = self._clock()
        latency = now - ticket.started
        wrote = ticket.writing or self._writing or self._writes_started != ticket.writes_started
        in_job = ticket.ingesting or self._ingesting or self._jobs_started != ticket.jobs_started
        if wrote or in_job:
            self._during_jobs.append((now, latency))
            if not wrote:
                self._resting.append(latency)
        else:
            self._idle.append(latency)

    @contextmanager
    def ingesting(self) -> Iterator[None]:
        """Around one job's run: reads served meanwhile count as what ingestion costs them."""
        self._ingesting += 1
        self._jobs_started += 1
        try:
            yield
        finally:
            self._ingesting -= 1

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around one batch write (within `ingesting`): reads that overlap it count as slowed
        by ingestion, and never as the level while resting."""
        self._writing += 1
        self._writes_started += 1
        try:
            yield
        finally:
            self._writing -= 1

    def busy(self) -> bool:
        """Profile reads are being served, or were within QUIET_SECONDS."""
        return self._in_flight > 0 or self._clock() - self._last < QUIET_SECONDS

    def slowdown(self) -> float | None:
        """p95 of the recent reads during jobs / idle p95; None without enough of either."""
        since = self._clock() - RECENT_SECONDS
        recent = [latency for at, latency in self._during_jobs if at >= since]
        level = self._idle_level()
        if len(recent) < MIN_SAMPLES or not level:
            return None
        idle = _p95(level)
        return _p95(recent) / idle if idle > 0 else None

    def knows_idle_level(self) -> bool:
        return bool(self._idle_level())

    def _idle_level(self) -> list[float]:
        """Reads without a job, else (none seen yet) reads in the writer's rests."""
        for sample in (self._idle, self._resting):
            if len(sample) >= MIN_SAMPLES:
                return list(sample)
        return []


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


class Pacer:
    """One job's batch size and rests, adjusted after every batch by what reads suffered."""

    def __init__(self, activity: QueryActivity) -> None:
        self._activity = activity
        self._cap: float = math.inf
        self._share = 1.0

    def batch_rows(self, wanted: int) -> int:
        """Rows for the next batch: `wanted`, or fewer while reads suffer."""
        return wanted if self._cap >= wanted else max(1, int(self._cap))

    def rest_after(self, write_seconds: float) -> float:
        """Adjust to what the last batch did to reads; returns the seconds to rest now."""
        activity = self._activity
        if not activity.busy():
            self._cap, self._share = math.inf, 1.0
            return 0.0
        slowdown = activity.slowdown()
        if slowdown is None:
            if not activity.knows_idle_level():
                self._cap = min(self._cap, BUSY_BATCH_ROWS)
                self._share = min(self._share, BUSY_WRITE_SHARE)
        elif slowdown > SLOWDOWN_LIMIT:
            self._cap = max(MIN_BATCH_ROWS, min(self._cap, BUSY_BATCH_ROWS * 4) / 2)
            self._share = max(MIN_WRITE_SHARE, self._share * 0.7)
        else:
            self._cap = math.inf if self._cap * 2 > 10**9 else self._cap * 2
            self._share = min(1.0, self._share + 0.1)
        return write_seconds * (1 - self._share) / self._share
