"""Generated profiles: deterministic per seed, unique names, realistic and valid values."""

from collections import Counter
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.profiles.countries import COUNTRY_NAMES
from services.profiles.names import name_key, normalize_name
from services.profiles.synthetic import SyntheticProfiles


def test_the_same_seed_gives_the_same_rows() -> None:
    assert list(SyntheticProfiles(7).rows(500)) == list(SyntheticProfiles(7).rows(500))
    assert list(SyntheticProfiles(7).rows(50)) != list(SyntheticProfiles(8).rows(50))


def test_batches_are_the_rows_cut_in_pieces() -> None:
    batches = list(SyntheticProfiles(3).batches(250, 100))
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert [row for batch in batches for row in batch] == list(SyntheticProfiles(3).rows(250))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_names_are_unique_normalised_and_keyed_like_stored_names(seed: int) -> None:
    rows = list(SyntheticProfiles(seed).rows(3000))
    assert len({row[2] for row in rows}) == len(rows)
    for row in rows[:300]:
        assert normalize_name(row[1]) == row[1]
        assert name_key(row[1]) == row[2]
        assert len(row[1].split()) == 3  # the demo's names have two words: no clash


def test_values_are_valid_profiles() -> None:
    rows = list(SyntheticProfiles(11).rows(20_000))
    ids = [UUID(row[0]) for row in rows]
    assert all(identifier.version == 7 for identifier in ids)
    assert ids == sorted(ids)
    for row, identifier in zip(rows[:2000], ids, strict=False):
        millis = identifier.int >> 80
        assert datetime.fromtimestamp(millis / 1000, UTC) == row[9]
    assert {row[3] for row in rows} == {"female", "male"}
    assert all(0 <= row[5] <= 90 for row in rows)
    assert all(COUNTRY_NAMES[row[6]] == row[7] for row in rows)
    for column in (4, 8):
        present = [row[column] for row in rows if row[column] is not None]
        assert all(0 <= value <= 1 for value in present)
        assert 0 < len(rows) - len(present) < len(rows) * 0.03  # about 1% missing


def test_countries_are_skewed_and_every_country_can_appear() -> None:
    generator = SyntheticProfiles(5)
    counts = Counter(row[6] for row in generator.rows(50_000))
    most_common = counts.most_common(3)
    assert most_common[0][1] > 5 * counts.most_common(30)[-1][1]
    # Every ISO code has a place in the weighted table, however small.
    assert set(generator._countries) == set(COUNTRY_NAMES)


def test_capacity_is_enforced() -> None:
    generator = SyntheticProfiles(1)
    assert generator.capacity > 10_000_000
    with pytest.raises(ValueError, match="distinct names"):
        list(generator.rows(generator.capacity + 1))
