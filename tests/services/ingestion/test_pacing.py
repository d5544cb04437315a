"""Ingestion yields to queries: small batches and rests while requests are being served."""

from services.ingestion.pacing import (
    BUSY_BATCH_ROWS,
    BUSY_WINDOW_SECONDS,
    BUSY_WRITE_SHARE,
    QueryActivity,
    batch_rows,
    rest_after,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_idle_process_ingests_at_full_speed() -> None:
    activity = QueryActivity(Clock())
    assert not activity.busy()
    assert batch_rows(activity, 50_000) == 50_000
    assert rest_after(activity, 0.5) == 0.0


def test_in_flight_and_recent_requests_make_ingestion_yield() -> None:
    clock = Clock()
    activity = QueryActivity(clock)
    activity.started()
    clock.now += 10  # a long request is still running
    assert activity.busy()
    assert batch_rows(activity, 50_000) == BUSY_BATCH_ROWS
    assert batch_rows(activity, 100) == 100
    activity.finished()
    clock.now += BUSY_WINDOW_SECONDS / 2
    assert activity.busy()
    # Writing takes BUSY_WRITE_SHARE of the time, rests the remainder.
    write = 0.3
    assert abs(write / (write + rest_after(activity, write)) - BUSY_WRITE_SHARE) < 1e-9
    clock.now += BUSY_WINDOW_SECONDS
    assert not activity.busy()
