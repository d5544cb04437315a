"""Names to demographics: the three services asked concurrently, in batches, through the cache.

For a list of names (already normalised and unique by name key), each service is asked only
about the names the result cache does not hold, at most MAX_BATCH_NAMES per request, all of
its requests at once, and the three services side by side: 100 new names are 10 requests to
each, 30 in flight together. Every answer (a null one too: it is what the service knows) is
cached per service and name for CACHE_TTL_SECONDS. Upstream answers do not depend on our data,
so they are keyed by `UPSTREAM_VERSION` rather than the data version, and a profile deleted and
made again reuses them. Offline guesses are computed, never cached.

A batch that failed leaves the answers of the batches that succeeded in the cache: asking
again after an outage sends only what is still missing.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, cast

from services.demographics.guesses import (
    GUESS_CODEC,
    MAX_BATCH_NAMES,
    AgeGuess,
    CountryGuess,
    G,
    GenderGuess,
    NameGuesser,
)
from services.platform.cache import Codec, ResultCache
from services.profiles.names import name_key

logger = logging.getLogger(__name__)

UPSTREAM_VERSION: Final = "upstream"


@dataclass(frozen=True, slots=True)
class NameGuesses:
    """What the three services said about one name."""

    gender: GenderGuess
    age: AgeGuess
    country: CountryGuess


class NameLookup:
    def __init__(
        self,
        genderize: NameGuesser[GenderGuess],
        agify: NameGuesser[AgeGuess],
        nationalize: NameGuesser[CountryGuess],
    ) -> None:
        self.genderize = genderize
        self.agify = agify
        self.nationalize = nationalize

    @property
    def offline(self) -> bool:
        """True when any of the three is the offline twin (its base URL unset): guesses from it
        are made up from the name, not any service's data."""
        return any(guesser.offline for guesser in (self.genderize, self.agify, self.nationalize))

    async def lookup(
        self, names: Sequence[str], *, cache: ResultCache | None
    ) -> dict[str, NameGuesses]:
        """Guesses for every name; the first service failure (in the order Genderize, Agify,
        Nationalize) is raised once all three are done, so each keeps what it learnt."""
        if not names:
            return {}
        answers = await asyncio.gather(
            _guesses(self.genderize, names, cache),
            _guesses(self.agify, names, cache),
            _guesses(self.nationalize, names, cache),
            return_exceptions=True,
        )
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        genders, ages, countries = cast(
            tuple[list[GenderGuess], list[AgeGuess], list[CountryGuess]], tuple(answers)
        )
        return {
            name: NameGuesses(gender, age, country)
            for name, gender, age, country in zip(names, genders, ages, countries, strict=True)
        }

    async def aclose(self) -> None:
        await self.genderize.aclose()
        await self.agify.aclose()
        await self.nationalize.aclose()


async def _guesses(
    guesser: NameGuesser[G], names: Sequence[str], cache: ResultCache | None
) -> list[G]:
    """One guess per name, in order: cached ones, and the rest asked in batches of ten."""
    codec = cast(Codec[G], GUESS_CODEC)
    if guesser.offline or cache is None:
        cached: list[G | None] = [None] * len(names)
    else:

        async def cached_guess(name: str) -> G | None:
            assert cache is not None
            return await cache.get(
                _key(guesser, name), codec, version=UPSTREAM_VERSION, kind="names"
            )

        cached = list(await asyncio.gather(*(cached_guess(name) for name in names)))
    missing = [name for name, guess in zip(names, cached, strict=True) if guess is None]
    batches = [missing[at : at + MAX_BATCH_NAMES] for at in range(0, len(missing), MAX_BATCH_NAMES)]
    results = await asyncio.gather(
        *(guesser.guess(batch) for batch in batches), return_exceptions=True
    )
    fresh: dict[str, G] = {}
    failure: BaseException | None = None
    for batch, result in zip(batches, results, strict=True):
        if isinstance(result, BaseException):
            failure = failure or result
            continue
        fresh.update(zip(batch, result, strict=True))
    if cache is not None and not guesser.offline and fresh:
        await asyncio.gather(
            *(
                cache.put(_key(guesser, name), guess, codec, version=UPSTREAM_VERSION)
                for name, guess in fresh.items()
            )
        )
    if failure is not None:
        raise failure
    return [
        guess if guess is not None else fresh[name]
        for name, guess in zip(names, cached, strict=True)
    ]


def _key(guesser: NameGuesser[G], name: str) -> str:
    return f"names:{guesser.service.value}:{name_key(name)}"
