"""Ingestion yields to queries by what they suffer: the recent latency of profile reads served
while a job runs, against the latency of reads served without one.

A batch write can slow the reads that run beside it: it takes CPU, its not yet committed rows
are stepped over by index scans of the newest profiles, and its commit takes every stored
answer out of the response cache (server/response_cache.py), so the next request of each
cached query is executed again. Whether that matters depends on the machine, the data and the
reads: at 10M profiles, query p95 stayed 12-15 ms with or without ingestion, and slowing down
whenever a request arrived gave up throughput for nothing.

So the process keeps samples of its profile reads, answered from the response cache or
executed (graph/extensions/query_load.py and the response cache report each one), by when
they were served: while no ingestion job ran here (without a job), while a job ran but none of
its batches was being written (in the writer's rests), and overlapping a write. After each
batch the job's `Pacer` measures what the job costs reads:

- with reads without a job from the last `FRESH_IDLE_SECONDS`: the p95 of all recent reads
  during the job (writes and rests: the parse process, a write's after-effects and the answers
  its commit takes out of the cache slow those in the rests too) against theirs. Reads in
  the rests alone looked like the idle level while the bench measured p95 2.2-2.6x of it;
- otherwise (a long job, or reads that began with it): the p95 of the recent reads that
  overlapped a write against the p95 of those in the rests.

Above `SLOWDOWN_LIMIT` the writer rests after each batch so that writing takes a smaller share
of the time (down to `MIN_WRITE_SHARE`: under any read load, hostile or not, a job writes a
fifth of the time at least); below it, the share grows back to all of it. Batches keep their
size: each commit empties the response cache, so smaller batches meant more of the reads were
executed again: the pacer that halved them under load committed a 250,000-row file in 100
batches instead of 14, and the cached reads' p95 was 3.0x idle (docs/ingestion.md, "Where the
time goes"). Reads are timed from their request's arrival (its body read): the time a request
waits for the event loop is time the reader waits too. The reads decide: a
reader can hold a job at that floor, or hide others' slow reads among many fast ones of its
own; the floor bounds the first. Without profile reads in the last `QUIET_SECONDS` ingestion
runs at full speed; with reads but no level yet, it writes half the time, and its rests give a
level. Only reads of the profiles are reported: uploads, interview queries and a client
following its job (by polling or subscription) never slow ingestion. Each process knows only
the requests it serves itself.
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
# Reads during a job finished within this long are "recent"; fewer than MIN_SAMPLES: no
# verdict.
RECENT_SECONDS: Final = 3.0
MIN_SAMPLES: Final = 5
IDLE_SAMPLES: Final = 200
# Reads older than this no longer stand for the idle level (the load may have changed): reads
# without a job, else reads in a writer's rests, from within this long.
FRESH_IDLE_SECONDS: Final = 600.0
# A slowdown (recent p95 over the idle level's p95) above this makes ingestion back off. Below
# the 2x docs/ingestion.md aims at, so that one batch of over-shoot stays inside it.
SLOWDOWN_LIMIT: Final = 1.5
# Where pacing starts while reads are served and no idle level is known.
BUSY_WRITE_SHARE: Final = 0.5
MIN_WRITE_SHARE: Final = 0.2
# The longest rest after one batch: a write's wall time includes waiting for another writer's
# locks (up to the batch's statement timeout), which must not buy a rest of minutes.
MAX_REST_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class ReadTicket:
    started: float
    writes_started: int
    writing: bool
    jobs_started: int
    ingesting: bool


class QueryActivity:
    """This process's profile reads (the API layer reports each one), its ingestion jobs and
    their batch writes (the ingestion runner reports both)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight = 0
        self._last = -math.inf
        self._writing = 0
        self._writes_started = 0
        self._ingesting = 0
        self._jobs_started = 0
        # (finished at, latency) of reads without a job, in the writer's rests, over a write.
        self._without_job: deque[tuple[float, float]] = deque(maxlen=IDLE_SAMPLES)
        self._resting: deque[tuple[float, float]] = deque(maxlen=IDLE_SAMPLES)
        self._overlapped: deque[tuple[float, float]] = deque(maxlen=IDLE_SAMPLES)

    def started(self, waited: float = 0.0) -> ReadTicket:
        """A read begins, after its request `waited` seconds to be served (they count too)."""
        self._in_flight += 1
        now = self._last = self._clock()
        return ReadTicket(
            now - max(0.0, waited),
            self._writes_started,
            self._writing > 0,
            self._jobs_started,
            self._ingesting > 0,
        )

    def finished(self, ticket: ReadTicket) -> None:
        self._in_flight -= 1
        now = self._last = self._clock()
        sample = (now, now - ticket.started)
        if ticket.writing or self._writing or self._writes_started != ticket.writes_started:
            self._overlapped.append(sample)
        elif ticket.ingesting or self._ingesting or self._jobs_started != ticket.jobs_started:
            self._resting.append(sample)
        else:
            self._without_job.append(sample)

    @contextmanager
    def ingesting(self) -> Iterator[None]:
        """Around one job's run: reads served meanwhile are what the job costs them."""
        self._ingesting += 1
        self._jobs_started += 1
        try:
            yield
        finally:
            self._ingesting -= 1

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around one batch write: reads that overlap it count as slowed by ingestion."""
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
        """Recent reads' p95 over the idle level's p95 (see the module's docstring); None
        without enough of either."""
        now = self._clock()
        since, fresh = now - RECENT_SECONDS, now - FRESH_IDLE_SECONDS
        without_job = [latency for at, latency in self._without_job if at >= fresh]
        slowed: list[deque[tuple[float, float]]]
        if len(without_job) >= MIN_SAMPLES:
            level, slowed = without_job, [self._overlapped, self._resting]
        else:
            level = [latency for at, latency in self._resting if at >= fresh]
            slowed = [self._overlapped]
        recent = [latency for sample in slowed for at, latency in sample if at >= since]
        if len(recent) < MIN_SAMPLES or len(level) < MIN_SAMPLES:
            return None
        idle = _p95(level)
        return _p95(recent) / idle if idle > 0 else None

    def knows_idle_level(self) -> bool:
        fresh = self._clock() - FRESH_IDLE_SECONDS
        return any(
            sum(1 for at, _ in sample if at >= fresh) >= MIN_SAMPLES
            for sample in (self._without_job, self._resting)
        )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


class Pacer:
    """One job's rests, adjusted after every batch by what reads suffered."""

    def __init__(self, activity: QueryActivity) -> None:
        self._activity = activity
        self._share = 1.0

    def rest_after(self, write_seconds: float) -> float:
        """Adjust to what the last batch did to reads; returns the seconds to rest now."""
        activity = self._activity
        if not activity.busy():
            self._share = 1.0
            return 0.0
        slowdown = activity.slowdown()
        if slowdown is None:
            if not activity.knows_idle_level():
                self._share = min(self._share, BUSY_WRITE_SHARE)
        elif slowdown > SLOWDOWN_LIMIT:
            self._share = max(MIN_WRITE_SHARE, self._share * 0.7)
        else:
            self._share = min(1.0, self._share + 0.1)
        return min(MAX_REST_SECONDS, write_seconds * (1 - self._share) / self._share)
