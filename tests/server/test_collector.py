"""A serving process collects garbage rarely, and never walks what it built at start-up."""

import gc
from collections.abc import Iterator

import pytest

from server.collector import (
    MIDDLE_COLLECTION_EVERY,
    OLD_COLLECTION_EVERY,
    YOUNG_COLLECTION_ALLOCATIONS,
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
