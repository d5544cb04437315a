"""Fake Genderize, Agify and Nationalize: `GET /?name[]=a&name[]=b&apikey=KEY`, as documented.

Every name gets a made-up but stable answer; names in `unknown` get the services' "nothing
known" answer (gender null and count 0, age null, no country). Fault switches beyond
tests/fakes/server.py's scripted ones: `daily_limit(reset_seconds)` answers every request 429
with `X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset`, as the services do when the day's
allowance is used up. `lookups` holds the names of every request that was answered, so tests
can see how names were batched.
"""

from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from tests.fakes.server import FakeServer, Handler

API_KEY: Final = "fake-genderize-key"
MAX_NAMES: Final = 10
DAILY_LIMIT: Final = 1000


@dataclass
class FakeNameApi(FakeServer):
    service: str = "genderize"
    api_key: str | None = API_KEY
    unknown: set[str] = field(default_factory=set)
    lookups: list[list[str]] = field(default_factory=list)
    _daily_reset: int | None = None

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("GET", "/", self._guess)]

    def error_response(self, status: int, retry_after: str | None) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return web.json_response(
            {"error": f"fake {self.service} says {status}"}, status=status, headers=headers
        )

    def daily_limit(self, reset_seconds: int) -> None:
        self._daily_reset = reset_seconds

    def reset(self) -> None:
        super().reset()
        self.unknown.clear()
        self.lookups.clear()
        self._daily_reset = None

    async def _guess(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if self._daily_reset is not None:
            return web.json_response(
                {"error": "Request limit reached"},
                status=429,
                headers={
                    "X-Rate-Limit-Limit": str(DAILY_LIMIT),
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(self._daily_reset),
                },
            )
        if self.api_key is not None and request.query.get("apikey") != self.api_key:
            return web.json_response({"error": "Invalid API key"}, status=401)
        names = request.query.getall("name[]", [])
        single = request.query.get("name")
        if not names and single is None:
            return web.json_response({"error": "Missing 'name' parameter"}, status=422)
        if len(names) > MAX_NAMES:
            return web.json_response({"error": "Invalid 'name' parameter"}, status=422)
        self.lookups.append(names or [single or ""])
        headers = {
            "X-Rate-Limit-Limit": str(DAILY_LIMIT),
            "X-Rate-Limit-Remaining": str(DAILY_LIMIT - len(self.lookups)),
            "X-Rate-Limit-Reset": "3600",
        }
        if single is not None and not names:
            return web.json_response(self.answer(single), headers=headers)
        return web.json_response([self.answer(name) for name in names], headers=headers)

    def answer(self, name: str) -> dict[str, Any]:
        known = name not in self.unknown
        size = len(name)
        if self.service == "genderize":
            gender = ("female" if size % 2 else "male") if known else None
            probability = 0.9 if known else 0.0
            return {"count": 100 + size if known else 0, "name": name, "gender": gender,
                    "probability": probability}  # fmt: skip
        if self.service == "agify":
            return {"count": 50 + size if known else 0, "name": name,
                    "age": 20 + size if known else None}  # fmt: skip
        countries = [{"country_id": "GH", "probability": 0.25},
                     {"country_id": "NG", "probability": 0.6}] if known else []  # fmt: skip
        return {"count": 70 + size if known else 0, "name": name, "country": countries}


@dataclass(frozen=True, slots=True)
class FakeNameServices:
    genderize: FakeNameApi
    agify: FakeNameApi
    nationalize: FakeNameApi

    @property
    def all(self) -> tuple[FakeNameApi, FakeNameApi, FakeNameApi]:
        return (self.genderize, self.agify, self.nationalize)

    def by_service(self, service: str) -> FakeNameApi:
        return {api.service: api for api in self.all}[service]
