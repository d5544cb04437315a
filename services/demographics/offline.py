"""The offline twins of Genderize, Agify and Nationalize: deterministic, no network.

Used for each service whose base URL is unset (docs/configuration.md), so a development
server and the tests create profiles from names with no account anywhere. A guess is a pure
function of the case-folded name: the same name always gives the same profile. Offline
guesses are marked as such: Genderize's sample size is None (`sampleSize: null`), since no
people stand behind them. Every name is known offline; nothing comes back null.
"""

import hashlib
from collections.abc import Sequence
from typing import Final

from services.demographics.guesses import AgeGuess, CountryGuess, GenderGuess, NameService
from services.profiles.names import name_key

# A spread of countries rather than all of ISO 3166, so offline data looks like the demo data.
_COUNTRIES: Final = ("NG", "KE", "GH", "ZA", "EG", "US", "GB", "IN", "BR", "FR", "DE", "JP")


def _digest(name: str, service: NameService) -> bytes:
    return hashlib.sha256(f"{service.value}:{name_key(name)}".encode()).digest()


def _fraction(byte: int) -> float:
    """0.50 .. 0.99 in hundredths: an offline guess is never certain and never a coin toss."""
    return round(0.5 + (byte % 50) / 100, 2)


class OfflineGuesser:
    """Shared by the three twins; the subclasses say which service they stand for."""

    service: NameService

    @property
    def offline(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


class OfflineGenderize(OfflineGuesser):
    service = NameService.GENDERIZE

    async def guess(self, names: Sequence[str]) -> list[GenderGuess]:
        guesses = []
        for name in names:
            digest = _digest(name, self.service)
            gender = "female" if digest[0] % 2 else "male"
            guesses.append(GenderGuess(gender=gender, probability=_fraction(digest[1]), count=None))
        return guesses


class OfflineAgify(OfflineGuesser):
    service = NameService.AGIFY

    async def guess(self, names: Sequence[str]) -> list[AgeGuess]:
        return [AgeGuess(age=1 + _digest(name, self.service)[0] % 90) for name in names]


class OfflineNationalize(OfflineGuesser):
    service = NameService.NATIONALIZE

    async def guess(self, names: Sequence[str]) -> list[CountryGuess]:
        guesses = []
        for name in names:
            digest = _digest(name, self.service)
            country = _COUNTRIES[digest[0] % len(_COUNTRIES)]
            guesses.append(CountryGuess(country_id=country, probability=_fraction(digest[1])))
        return guesses
