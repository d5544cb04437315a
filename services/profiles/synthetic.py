"""Generated profiles for load tests and benchmarks: realistic, unique, deterministic per seed.

Shapes follow the demo data and real populations rather than uniform noise, because index and
plan choices depend on skew: countries over every ISO 3166 code with Zipf weights (the demo's
most common countries first), ages 0-90 on a population pyramid, both genders, probabilities
near the values genderize-style sources return (about 1% missing), UUIDv7 ids whose timestamps
are the rows' `created_at`, spread over two years.

Names are "Given Middle Family" built from the demo data's given names (by gender) and family
names; the middle name is another given name or a second family name. The demo's names have two
words, so generated names never meet them. Within one seed every name is distinct: each row takes
the next index of an affine permutation of all name combinations, which is a bijection, so no
duplicate check is needed (two different seeds may share some names; the loader skips those).
"""

import math
import random
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

import orjson

from services.platform.ids import uuid7_hex
from services.profiles.countries import COUNTRY_NAMES
from services.profiles.seed import DEMO_PROFILES

DEFAULT_SEED: Final = 1
MAX_AGE_GENERATED: Final = 90
# Rows arrive over these two years; fixed so that a seed gives the same rows on any day.
_START: Final = datetime(2024, 1, 1, tzinfo=UTC)
_SPAN_MS: Final = 2 * 365 * 24 * 3600 * 1000
_START_MS: Final = int(_START.timestamp() * 1000)
# Lookup tables: a uniform draw indexes these, so weighted choices cost one multiplication.
_TABLE_SIZE: Final = 1 << 16
_MISSING_PROBABILITY_SHARE: Final = 0.01
_FEMALE_SHARE: Final = 0.505


Row = tuple[Any, ...]


class SyntheticProfiles:
    """Rows in `db.profiles.STAGING_COLUMNS` order; `rows(n)` is the same for the same seed."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self.seed = seed
        self._random = random.Random(seed)
        given, family = _name_pools()
        self._given = {gender: [_Word(name) for name in names] for gender, names in given.items()}
        self._family = [_Word(name) for name in family]
        # Middle names: the gender's other given names, then family names that are not also
        # given names of that gender (a word in both lists would make one name twice).
        self._middles = {
            gender: words + [w for w in self._family if w.key not in {g.key for g in words}]
            for gender, words in self._given.items()
        }
        self._countries = _weighted_table(_country_weights())
        self._ages = _weighted_table(_age_weights())
        self._gender_probabilities = _quantile_table(lambda u: round(1 - u * u * 0.5, 2))
        self._country_probabilities = _quantile_table(lambda u: round(0.05 + u * 0.9, 2))
        self._names = {
            gender: _Permutation(
                len(words) * (len(self._middles[gender]) - 1) * len(self._family), self._random
            )
            for gender, words in self._given.items()
        }

    @property
    def capacity(self) -> int:
        """How many distinct names one seed can produce."""
        return sum(permutation.size for permutation in self._names.values())

    def rows(self, count: int) -> Iterator[Row]:
        if count > self.capacity:
            raise ValueError(f"one seed makes at most {self.capacity} distinct names")
        # The hot loop of a 10M-row load (about 4 us a row): locals, lookup tables, no objects
        # beyond the row itself. Ids go out as hex text, which asyncpg's COPY encodes directly.
        draw = self._random.random
        bits = self._random.getrandbits
        countries, ages = self._countries, self._ages
        gender_probabilities = self._gender_probabilities
        country_probabilities = self._country_probabilities
        names = self._name
        from_timestamp = datetime.fromtimestamp
        step = _SPAN_MS / max(count, 1)
        for index in range(count):
            gender = "female" if draw() < _FEMALE_SHARE else "male"
            name, key = names(gender)
            country = countries[int(draw() * _TABLE_SIZE)]
            # Each row's instant lies inside its own slot, so ids (and created_at) only increase.
            millis = _START_MS + int(index * step + draw() * step)
            yield (
                uuid7_hex(millis, bits(74)),
                name,
                key,
                gender,
                gender_probabilities[int(draw() * _TABLE_SIZE)],
                ages[int(draw() * _TABLE_SIZE)],
                country,
                COUNTRY_NAMES[country],
                country_probabilities[int(draw() * _TABLE_SIZE)],
                from_timestamp(millis / 1000, UTC),
            )

    def batches(self, count: int, size: int) -> Iterator[list[Row]]:
        rows = self.rows(count)
        for start in range(0, count, size):
            yield [next(rows) for _ in range(min(size, count - start))]

    def _name(self, gender: str) -> tuple[str, str]:
        given, middles, family = self._given[gender], self._middles[gender], self._family
        index, last = divmod(self._names[gender].next(), len(family))
        first, middle = divmod(index, len(middles) - 1)
        # Skip the first name's own position: a middle name never repeats the first name.
        second = middles[middle + 1 if middle >= first else middle]
        head = given[first]
        tail = family[last]
        return (
            f"{head.text} {second.text} {tail.text}",
            f"{head.key} {second.key} {tail.key}",
        )


class _Word:
    """A name part and its case-folded key: keys of the parts joined by spaces = name_key(name)."""

    __slots__ = ("key", "text")

    def __init__(self, text: str) -> None:
        self.text = unicodedata.normalize("NFC", text)
        self.key = unicodedata.normalize("NFC", self.text.casefold())


class _Permutation:
    """0..size-1 in a seeded order, no repeats: i -> (a*i + b) mod size with gcd(a, size) = 1."""

    __slots__ = ("_multiplier", "_next", "_offset", "size")

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        multiplier = rng.randrange(size // 3, size) | 1
        while math.gcd(multiplier, size) != 1:
            multiplier += 2
        self._multiplier = multiplier
        self._offset = rng.randrange(size)
        self._next = 0

    def next(self) -> int:
        if self._next >= self.size:
            raise ValueError("every name of this seed is used")
        value = (self._multiplier * self._next + self._offset) % self.size
        self._next += 1
        return value


def _quantile_table(quantile: Callable[[float], float]) -> list[float | None]:
    """`_TABLE_SIZE` draws of a distribution given by its quantile function, about 1% missing."""
    missing = round(_MISSING_PROBABILITY_SHARE * _TABLE_SIZE)
    values = [quantile((i + 0.5) / (_TABLE_SIZE - missing)) for i in range(_TABLE_SIZE - missing)]
    # Interleave the gaps so any slice of the table has its share of them.
    table: list[float | None] = list(values)
    for i in range(missing):
        table.insert(i * (_TABLE_SIZE // missing), None)
    return table


def _weighted_table(weights: dict[Any, float]) -> list[Any]:
    """A list of `_TABLE_SIZE` values, each value present in proportion to its weight (>= once)."""
    total = sum(weights.values())
    table: list[Any] = []
    for value, weight in weights.items():
        table.extend([value] * max(1, round(weight / total * _TABLE_SIZE)))
    # Rounding leaves the table a little long or short; trim or pad with the heaviest value.
    heaviest = max(weights, key=lambda value: weights[value])
    del table[_TABLE_SIZE:]
    table.extend([heaviest] * (_TABLE_SIZE - len(table)))
    return table


def _country_weights() -> dict[str, float]:
    """Zipf weights (1/rank): the demo's countries by frequency, then every other ISO code."""
    counts: dict[str, int] = {}
    for record in _demo_records():
        counts[record["country_id"]] = counts.get(record["country_id"], 0) + 1
    ranked = sorted(counts, key=lambda code: (-counts[code], code))
    ranked += sorted(code for code in COUNTRY_NAMES if code not in counts)
    return {code: 1 / (rank + 1) for rank, code in enumerate(ranked)}


def _age_weights() -> dict[int, float]:
    """Flat to 35, then thinning to a tenth by 90: the shape of a young population pyramid."""
    return {
        age: 1.0 if age <= 35 else 1.0 - 0.9 * (age - 35) / (MAX_AGE_GENERATED - 35)
        for age in range(MAX_AGE_GENERATED + 1)
    }


@cache
def _demo_records() -> tuple[dict[str, Any], ...]:
    return tuple(orjson.loads(DEMO_PROFILES.read_bytes())["profiles"])


@cache
def _name_pools() -> tuple[dict[str, list[str]], list[str]]:
    """Given names by gender and family names from the demo data, each word once (by key).

    A given name the demo uses for both genders stays with one gender only, so the first word
    alone tells which gender's combinations a name came from: no name is made twice.
    """
    seen: dict[str, str] = {}
    given: dict[str, list[str]] = {"female": [], "male": []}
    family: dict[str, str] = {}
    for record in sorted(_demo_records(), key=lambda record: record["name"]):
        words = record["name"].split()
        key = _Word(words[0]).key
        if key not in seen:
            seen[key] = record["gender"]
            given[record["gender"]].append(words[0])
        family.setdefault(_Word(words[-1]).key, words[-1])
    return given, [family[key] for key in sorted(family)]
