"""Ingestion yields to profile reads by what they suffer, not by whether they arrive."""

import pytest

from services.ingestion.pacing import (
    BUSY_WRITE_SHARE,
    FRESH_IDLE_SECONDS,
    MAX_REST_SECONDS,
    MIN_WRITE_SHARE,
    QUIET_SECONDS,
    Pacer,
    QueryActivity,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def read(activity: QueryActivity, clock: Clock, seconds: float) -> None:
    ticket = activity.started()
    clock.now += seconds
    activity.finished(ticket)


def read_during_write(activity: QueryActivity, clock: Clock, seconds: float) -> None:
    with activity.writing():
        read(activity, clock, seconds)


def test_idle_process_ingests_at_full_speed() -> None:
    activity = QueryActivity(Clock())
    pacer = Pacer(activity)
    assert not activity.busy()
    assert pacer.rest_after(0.5) == 0.0


def test_reads_before_any_idle_level_start_cautious_then_rests_give_the_level() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    pacer = Pacer(activity)
    for _ in range(10):
        read_during_write(activity, clock, 0.01)
    write = 0.3
    rest = pacer.rest_after(write)
    assert abs(write / (write + rest) - BUSY_WRITE_SHARE) < 1e-9
    assert not activity.knows_idle_level()
    for _ in range(10):
        read(activity, clock, 0.01)  # served while the writer rests
    assert activity.knows_idle_level()


def test_slow_profile_reads_make_ingestion_rest_more_and_more_down_to_the_floor() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    pacer = Pacer(activity)
    for _ in range(20):
        read(activity, clock, 0.010)
    rests = []
    for _ in range(8):
        for _ in range(10):
            read_during_write(activity, clock, 0.040)  # 4x the idle level
        rests.append(pacer.rest_after(1.0))
    assert all(rest > 0 for rest in rests)
    assert rests == sorted(rests)
    # At the floor the writer still writes MIN_WRITE_SHARE of the time, however slow reads get.
    assert rests[-1] == pytest.approx(1.0 * (1 - MIN_WRITE_SHARE) / MIN_WRITE_SHARE)


def test_reads_that_do_not_suffer_leave_ingestion_at_full_speed() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    pacer = Pacer(activity)
    for _ in range(20):
        read(activity, clock, 0.010)
    for _ in range(20):
        read_during_write(activity, clock, 0.012)
        assert pacer.rest_after(1.0) == 0.0


def test_ingestion_recovers_once_reads_stop_suffering_or_stop() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    pacer = Pacer(activity)
    for _ in range(20):
        read(activity, clock, 0.010)
    for _ in range(3):
        for _ in range(10):
            read_during_write(activity, clock, 0.050)
        assert pacer.rest_after(1.0) > 0
    rests = []
    for _ in range(20):  # batches whose reads suffer no more: the slow ones age out
        for _ in range(40):
            read_during_write(activity, clock, 0.011)
        rests.append(pacer.rest_after(1.0))
    assert rests[-1] == 0.0 < rests[0]  # the share grew back to all of the time
    for _ in range(3):
        for _ in range(10):
            read_during_write(activity, clock, 0.050)
        pacer.rest_after(1.0)
    clock.now += QUIET_SECONDS
    assert pacer.rest_after(1.0) == 0.0


def test_a_read_that_began_before_a_write_and_ended_after_it_counts_as_overlapped() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    for _ in range(10):
        read(activity, clock, 0.01)
    tickets = [activity.started() for _ in range(10)]
    with activity.writing():
        clock.now += 0.1
    for ticket in tickets:
        activity.finished(ticket)
    slowdown = activity.slowdown()
    assert slowdown is not None
    assert slowdown > 5


def test_a_write_that_waited_long_buys_no_rest_longer_than_the_cap() -> None:
    """A write's wall time includes waiting for another writer's locks: a 60 s wait must not
    make the writer sleep for minutes."""
    clock = Clock()
    activity = QueryActivity(clock)
    pacer = Pacer(activity)
    for _ in range(20):
        read(activity, clock, 0.010)
    for _ in range(10):
        read_during_write(activity, clock, 0.050)
    assert pacer.rest_after(0.1) > 0
    assert pacer.rest_after(60.0) == MAX_REST_SECONDS


def test_reads_in_the_writers_rests_count_against_recent_reads_without_a_job() -> None:
    """The parse process, a write's after-effects and the answers its commit takes out of the
    cache slow reads between writes too: against reads served without a job, they count."""
    clock = Clock()
    activity = QueryActivity(clock)
    pacer = Pacer(activity)
    for _ in range(20):
        read(activity, clock, 0.010)
    with activity.ingesting():
        for _ in range(10):
            read(activity, clock, 0.030)  # in a rest: no write overlaps them
        slowdown = activity.slowdown()
        assert slowdown is not None
        assert abs(slowdown - 3.0) < 1e-9
        assert pacer.rest_after(1.0) > 0


def test_without_fresh_reads_without_a_job_writes_are_measured_against_the_rests() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    for _ in range(20):
        read(activity, clock, 0.001)  # long before: the load may have changed since
    clock.now += FRESH_IDLE_SECONDS
    with activity.ingesting():
        for _ in range(10):
            read_during_write(activity, clock, 0.020)
        assert not activity.knows_idle_level()
        assert activity.slowdown() is None
        for _ in range(10):
            read(activity, clock, 0.030)  # served while the writer rests, slower still
        assert activity.knows_idle_level()
        # Only the reads over a write count as slowed here: 0.020 against the rests' 0.030.
        slowdown = activity.slowdown()
        assert slowdown is not None
        assert abs(slowdown - 2 / 3) < 1e-9
        clock.now += FRESH_IDLE_SECONDS + 1  # the rests' level grows old too
        assert not activity.knows_idle_level()


def test_the_time_a_read_waited_to_be_served_counts() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    for _ in range(10):
        read(activity, clock, 0.010)
    with activity.ingesting():
        for _ in range(10):
            ticket = activity.started(waited=0.020)  # queued behind the event loop's work
            clock.now += 0.010
            activity.finished(ticket)
    slowdown = activity.slowdown()
    assert slowdown is not None
    assert slowdown == pytest.approx(3.0)
