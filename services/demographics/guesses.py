"""What Genderize, Agify and Nationalize say about one name, behind one small protocol.

Each service answers a batch of names (its `?name[]=a&name[]=b` form, at most
`MAX_BATCH_NAMES`), one guess per name in the order asked. A guess whose fields are null is
an answer, not a failure: the service knows nothing usable about that name (the caller turns
it into BAD_USER_INPUT naming the service). Two implementations each: the HTTP adapter
(services/demographics/name_apis.py) and the offline twin (services/demographics/offline.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Protocol, TypeVar

import orjson

# The services' documented batch limit: more names in one request is a 422.
MAX_BATCH_NAMES: Final = 10


class NameService(Enum):
    GENDERIZE = "genderize"
    AGIFY = "agify"
    NATIONALIZE = "nationalize"

    @property
    def title(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True, slots=True)
class GenderGuess:
    gender: str | None  # "male" | "female"
    probability: float | None
    # How many people the guess rests on; None from the offline provider, 0 when unknown.
    count: int | None

    @property
    def usable(self) -> bool:
        return self.gender is not None and self.count != 0


@dataclass(frozen=True, slots=True)
class AgeGuess:
    age: int | None

    @property
    def usable(self) -> bool:
        return self.age is not None


@dataclass(frozen=True, slots=True)
class CountryGuess:
    country_id: str | None  # the most probable country, ISO 3166-1 alpha-2
    probability: float | None

    @property
    def usable(self) -> bool:
        return self.country_id is not None


Guess = GenderGuess | AgeGuess | CountryGuess
G = TypeVar("G", GenderGuess, AgeGuess, CountryGuess)


class NameGuesser(Protocol[G]):
    @property
    def service(self) -> NameService: ...

    @property
    def offline(self) -> bool:
        """True for the local provider: its guesses come from no outside data."""

    async def guess(self, names: Sequence[str]) -> list[G]:
        """One guess per name, in order; at most MAX_BATCH_NAMES names."""

    async def aclose(self) -> None: ...


class GuessCodec:
    """A guess as bytes for a shared cache (Redis): `[kind, field, ...]`."""

    def dumps(self, guess: Guess) -> bytes:
        fields: list[Any]
        if isinstance(guess, GenderGuess):
            fields = ["g", guess.gender, guess.probability, guess.count]
        elif isinstance(guess, AgeGuess):
            fields = ["a", guess.age]
        else:
            fields = ["c", guess.country_id, guess.probability]
        return orjson.dumps(fields)

    def loads(self, data: bytes) -> Guess:
        kind, *fields = orjson.loads(data)
        if kind == "g":
            return GenderGuess(*fields)
        if kind == "a":
            return AgeGuess(*fields)
        return CountryGuess(*fields)


GUESS_CODEC: Final = GuessCodec()
