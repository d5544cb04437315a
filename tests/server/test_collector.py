"""A serving process collects garbage rarely, and never walks what it built at start-up."""

import asyncio
import gc
from collections.abc import Iterator

import pytest

from server.collector import (
    MIDDLE_COLLECTION_EVERY,
    OLD_COLLECTION_EVERY,
    YOUNG_COLLECTION_ALLOCATIONS,
    collect_periodically,
    tune_for_serving,
)


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_tuning_raises_the_thresholds_and_freezes_what_exists() -> None:
    tune_for_serving()
    assert gc.get_threshold() == (
        YOUNG_COLLECTION_ALLOCATIONS,
        MIDDLE_COLLECTION_EVERY,
        OLD_COLLECTION_EVERY,
    )
    assert gc.get_freeze_count() > 10_000  # the modules and the schema, at least


async def test_a_full_collection_runs_every_period() -> None:
    before = gc.get_stats()[2]["collections"]
    task = asyncio.create_task(collect_periodically(0.01))
    # Each full collection of this test process's heap takes a while: wait for three.
    for _ in range(500):
        if gc.get_stats()[2]["collections"] >= before + 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gc.get_stats()[2]["collections"] >= before + 3
