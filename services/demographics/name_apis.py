"""Genderize, Agify and Nationalize over HTTP (aiohttp), every request through the retry policy.

The three services share one API shape: `GET <base>/?name[]=a&name[]=b&apikey=KEY` answers a
JSON list with one object per name, in order. We always use the batch form, so one name and
ten names take the same path. The key travels as a query parameter (the only way the services
take it); aiohttp, unlike httpx, logs no request URLs, so the key never reaches a log line.

Rate limits: a 429 is retried after its Retry-After like any other. A 429 with
`X-Rate-Limit-Remaining: 0` means the daily allowance is used up until `X-Rate-Limit-Reset`
seconds from now: that is the wait the failure carries, so the policy gives up at once when
it is longer than its longest wait, and every later call in this process fails fast, without
a request, until then. However many names are waiting, the services see no retry storm.
"""

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic

import aiohttp
import orjson

from services.demographics.guesses import (
    MAX_BATCH_NAMES,
    AgeGuess,
    CountryGuess,
    G,
    GenderGuess,
    NameService,
)
from services.platform.retry import FailureKind, RetryPolicy, UpstreamFailure
from services.platform.transport_errors import retry_after_header, transport_failure
from services.profiles.age_groups import MAX_AGE, MIN_AGE
from services.profiles.countries import is_country_code

Parse = Callable[[Mapping[str, Any]], G]

_GENDERS: Final = frozenset({"male", "female"})
# An error body is quoted in the failure; a proxy's whole HTML page is not.
_MAX_DETAIL_CHARS: Final = 200


class NameApi(Generic[G]):
    """One of the three services; `parse` turns one answer object into its guess."""

    def __init__(
        self,
        service: NameService,
        parse: Parse[G],
        *,
        base_url: str,
        api_key: str | None,
        timeout_seconds: float,
        policy: RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._service = service
        self._parse: Parse[G] = parse
        self._url = base_url.rstrip("/") + "/"
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._policy = policy
        self._clock = clock
        # Made on first use: an aiohttp session belongs to the event loop that made it.
        self._session: aiohttp.ClientSession | None = None
        # Monotonic time until which the daily allowance is used up (None: not known to be).
        self._exhausted_until: float | None = None

    @property
    def service(self) -> NameService:
        return self._service

    @property
    def offline(self) -> bool:
        return False

    async def guess(self, names: Sequence[str]) -> list[G]:
        if not 1 <= len(names) <= MAX_BATCH_NAMES:
            raise ValueError(f"1..{MAX_BATCH_NAMES} names per request, got {len(names)}")
        params = [("name[]", name) for name in names]
        if self._api_key is not None:
            params.append(("apikey", self._api_key))

        async def call() -> list[G]:
            self._refuse_while_exhausted()
            answer = await self._get(params)
            return self._guesses(answer, len(names))

        return await self._policy.run(call)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _refuse_while_exhausted(self) -> None:
        if self._exhausted_until is None:
            return
        left = self._exhausted_until - self._clock()
        if left <= 0:
            self._exhausted_until = None
            return
        raise _daily_limit(left)

    async def _get(self, params: list[tuple[str, str]]) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(self._url, params=params) as response:
                body = await response.read()
                if response.status >= 400:
                    raise self._status_failure(response.status, response.headers, body)
        except UpstreamFailure:
            raise
        except Exception as error:
            failure = transport_failure(error)
            if failure is None:
                raise
            raise failure from error
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise UpstreamFailure(FailureKind.MALFORMED, "the answer is not JSON") from None

    def _status_failure(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> UpstreamFailure:
        if status == 429 and headers.get("X-Rate-Limit-Remaining", "").strip() == "0":
            reset = _seconds(headers.get("X-Rate-Limit-Reset"))
            if reset is not None and reset > 0:
                self._exhausted_until = self._clock() + reset
                return _daily_limit(reset)
        return UpstreamFailure(
            FailureKind.STATUS,
            _error_text(body),
            status=status,
            retry_after=retry_after_header(headers),
        )

    def _guesses(self, answer: Any, expected: int) -> list[G]:
        if not isinstance(answer, list) or len(answer) != expected:
            shape = _shape(answer)
            raise UpstreamFailure(
                FailureKind.MALFORMED, f"expected a list of {expected} answers, got {shape}"
            )
        guesses = []
        for item in answer:
            if not isinstance(item, dict):
                raise UpstreamFailure(FailureKind.MALFORMED, f"an answer is {_shape(item)}")
            try:
                guesses.append(self._parse(item))
            except (KeyError, TypeError, ValueError) as error:
                detail = f"unexpected answer: {error}"
                raise UpstreamFailure(FailureKind.MALFORMED, detail) from None
        return guesses


def parse_gender(item: Mapping[str, Any]) -> GenderGuess:
    """`{"name": "ella", "gender": "female", "probability": 0.99, "count": 2436}`."""
    gender = item["gender"]
    if gender is not None and gender not in _GENDERS:
        raise ValueError(f"gender {str(gender)[:20]!r}")
    count = _whole(item["count"], "count")
    if count < 0:
        raise ValueError(f"count {count}")
    probability = _probability(item.get("probability")) if gender is not None else None
    return GenderGuess(gender=gender, probability=probability, count=count)


def parse_age(item: Mapping[str, Any]) -> AgeGuess:
    """`{"name": "ella", "age": 41, "count": 1270}`; age null when the name is unknown."""
    age = item["age"]
    if age is None:
        return AgeGuess(age=None)
    value = _whole(age, "age")
    if not MIN_AGE <= value <= MAX_AGE:
        raise ValueError(f"age {value}")
    return AgeGuess(age=value)


def parse_country(item: Mapping[str, Any]) -> CountryGuess:
    """`{"name": "ella", "country": [{"country_id": "NG", "probability": 0.1}, ...]}`: the most
    probable country our ISO 3166 table knows (its name comes from there)."""
    countries = item["country"]
    if not isinstance(countries, list):
        raise TypeError(f"country is {_shape(countries)}")
    best: CountryGuess | None = None
    for entry in countries:
        if not isinstance(entry, dict):
            raise TypeError(f"a country is {_shape(entry)}")
        code, probability = entry["country_id"], _probability(entry["probability"])
        if not isinstance(code, str):
            raise TypeError(f"country_id is {_shape(code)}")
        code = code.strip().upper()
        if not is_country_code(code) or probability is None:
            continue
        if best is None or probability > (best.probability or 0.0):
            best = CountryGuess(country_id=code, probability=probability)
    return best or CountryGuess(country_id=None, probability=None)


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} is {_shape(value)}")
    return value


def _probability(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"probability is {_shape(value)}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"probability {value}")
    return float(value)


def _shape(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "null" if value is None else f"a {type(value).__name__}"


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


def _error_text(body: bytes) -> str:
    """The services answer errors as `{"error": "..."}`; anything else is quoted short."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(decoded.get("error"), str):
        text = decoded["error"]
    else:
        text = body.decode("utf-8", "replace")
    return " ".join(text.split())[:_MAX_DETAIL_CHARS] or "no details"


def _daily_limit(seconds: float) -> UpstreamFailure:
    return UpstreamFailure(
        FailureKind.STATUS,
        f"the daily request limit is used up; it resets in {wait_text(seconds)}",
        status=429,
        retry_after=seconds,
    )


def wait_text(seconds: float) -> str:
    """`wait_text(11_520) -> "3h 12m"`, `wait_text(42.3) -> "43s"`."""
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
