"""Names to guesses: batches of ten, the three services at once, answers cached per name."""

from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest

from services.demographics.lookup import NameLookup
from services.demographics.offline import OfflineAgify, OfflineGenderize, OfflineNationalize
from services.demographics.runtime import build_name_lookup
from services.errors import ServiceError
from services.platform.cache import ResultCache, build_result_cache
from services.platform.data_version import DataVersion
from services.platform.settings import Secret, Settings
from tests.fakes.names import API_KEY, FakeNameServices
from tests.fakes.server import Fault

FAST = {"tries": 2.0, "initial_delay": 0.02, "max_delay": 0.5}


@pytest.fixture
async def lookup(settings: Settings, fake_names: FakeNameServices) -> AsyncIterator[NameLookup]:
    configured = replace(
        settings,
        genderize_base_url=fake_names.genderize.url,
        agify_base_url=fake_names.agify.url,
        nationalize_base_url=fake_names.nationalize.url,
        genderize_api_key=Secret(API_KEY),
        upstream_timeout_seconds=0.5,
        retry_overrides={task: FAST for task in ("genderize", "agify", "nationalize")},
    )
    names = build_name_lookup(configured)
    yield names
    await names.aclose()


@pytest.fixture
async def cache(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[ResultCache]:
    result_cache = build_result_cache(settings, DataVersion(pool), namespace="test-names")
    yield result_cache
    await result_cache.close()


async def test_25_names_are_three_requests_per_service(
    lookup: NameLookup, fake_names: FakeNameServices
) -> None:
    names = [f"Name{index:02d}" for index in range(25)]
    guesses = await lookup.lookup(names, cache=None)
    assert list(guesses) == names
    for fake in fake_names.all:
        assert sorted(len(batch) for batch in fake.lookups) == [5, 10, 10]
        assert sorted(name for batch in fake.lookups for name in batch) == names


async def test_answers_are_cached_per_name(
    lookup: NameLookup, fake_names: FakeNameServices, cache: ResultCache
) -> None:
    first = await lookup.lookup(["Cached01", "Cached02"], cache=cache)
    again = await lookup.lookup(["cached02", "Cached03"], cache=cache)
    assert again["cached02"] == first["Cached02"]
    for fake in fake_names.all:
        # Only the name not seen before was asked about the second time.
        assert fake.lookups == [["Cached01", "Cached02"], ["Cached03"]]


async def test_a_failed_batch_keeps_the_others_answers(
    lookup: NameLookup, fake_names: FakeNameServices, cache: ResultCache
) -> None:
    names = [f"Partial{index:02d}" for index in range(12)]
    # Both batches' first tries and one retry fail (two tries each): one batch fails.
    fake_names.agify.script(Fault.status(500), Fault.status(500), Fault.status(500))
    with pytest.raises(ServiceError, match="agify is unavailable"):
        await lookup.lookup(names, cache=cache)
    for fake in fake_names.all:
        fake.lookups.clear()
    await lookup.lookup(names, cache=cache)
    assert fake_names.genderize.lookups == []
    assert fake_names.nationalize.lookups == []
    (asked,) = fake_names.agify.lookups  # only the names of the batch that failed
    assert len(asked) in (2, 10)


async def test_offline_guesses_are_stable_and_marked() -> None:
    offline = NameLookup(OfflineGenderize(), OfflineAgify(), OfflineNationalize())
    one = await offline.lookup(["Ella Obi", "Kwame"], cache=None)
    two = await offline.lookup(["ELLA  OBI"], cache=None)
    assert two["ELLA  OBI"] == one["Ella Obi"]
    for guesses in one.values():
        assert guesses.gender.usable
        assert guesses.age.usable
        assert guesses.country.usable
        assert guesses.gender.count is None  # no people behind an offline guess
        assert guesses.age.age is not None
        assert 1 <= guesses.age.age <= 90
