"""The Genderize, Agify and Nationalize adapter: real aiohttp against the fake services."""

import time

import pytest

from services.demographics.guesses import AgeGuess, CountryGuess, GenderGuess, NameService
from services.demographics.name_apis import (
    NameApi,
    parse_age,
    parse_country,
    parse_gender,
    wait_text,
)
from services.errors import ErrorCode, ServiceError
from services.platform.retry_tasks import AGIFY, GENDERIZE, NATIONALIZE
from tests.fakes.names import API_KEY, FakeNameApi, FakeNameServices
from tests.fakes.policies import fast_policies
from tests.fakes.server import Fault


def genderize(
    fake: FakeNameApi, *, timeout: float = 0.5, tries: int = 3, max_delay: float = 1.0
) -> NameApi[GenderGuess]:
    return NameApi(
        NameService.GENDERIZE,
        parse_gender,
        base_url=fake.url,
        api_key=API_KEY,
        timeout_seconds=timeout,
        policy=fast_policies(tries=tries, max_delay=max_delay)[GENDERIZE],
    )


async def test_names_go_in_the_batch_form_with_the_key(fake_names: FakeNameServices) -> None:
    api = genderize(fake_names.genderize)
    try:
        guesses = await api.guess(["Ella", "Obi"])
    finally:
        await api.aclose()
    assert guesses == [
        GenderGuess(gender="male", probability=0.9, count=104),
        GenderGuess(gender="female", probability=0.9, count=103),
    ]
    assert fake_names.genderize.lookups == [["Ella", "Obi"]]


async def test_agify_and_nationalize_answers_are_read(fake_names: FakeNameServices) -> None:
    policies = fast_policies()
    agify = NameApi(NameService.AGIFY, parse_age, base_url=fake_names.agify.url,
                    api_key=API_KEY, timeout_seconds=0.5, policy=policies[AGIFY])  # fmt: skip
    nationalize = NameApi(NameService.NATIONALIZE, parse_country,
                          base_url=fake_names.nationalize.url, api_key=API_KEY,
                          timeout_seconds=0.5, policy=policies[NATIONALIZE])  # fmt: skip
    fake_names.agify.unknown.add("Zzq")
    fake_names.nationalize.unknown.add("Zzq")
    try:
        assert await agify.guess(["Ella", "Zzq"]) == [AgeGuess(24), AgeGuess(None)]
        # The most probable country, not the first listed.
        assert await nationalize.guess(["Ella", "Zzq"]) == [
            CountryGuess("NG", 0.6),
            CountryGuess(None, None),
        ]
    finally:
        await agify.aclose()
        await nationalize.aclose()


async def test_null_fields_are_an_answer_not_a_failure(fake_names: FakeNameServices) -> None:
    fake_names.genderize.unknown.add("Zzq")
    api = genderize(fake_names.genderize)
    try:
        (guess,) = await api.guess(["Zzq"])
    finally:
        await api.aclose()
    assert guess == GenderGuess(gender=None, probability=None, count=0)
    assert not guess.usable
    assert len(fake_names.genderize.requests) == 1


async def test_429_and_5xx_and_timeouts_are_retried(fake_names: FakeNameServices) -> None:
    fake = fake_names.genderize
    fake.script(Fault.status(429, retry_after="0.3"), Fault.status(503), Fault.slow(1.0))
    api = genderize(fake, timeout=0.3, tries=4)
    try:
        (guess,) = await api.guess(["Ella"])
    finally:
        await api.aclose()
    assert guess.gender == "male"
    assert len(fake.requests) == 4
    assert fake.gaps()[0] >= 0.3  # the Retry-After, exactly as sent


@pytest.mark.parametrize("code", [400, 401, 402, 422])
async def test_other_client_errors_are_not_retried(fake_names: FakeNameServices, code: int) -> None:
    fake_names.genderize.script(Fault.status(code))
    api = genderize(fake_names.genderize)
    with pytest.raises(ServiceError) as raised:
        await api.guess(["Ella"])
    await api.aclose()
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert str(raised.value).startswith("genderize is unavailable")
    assert f"HTTP {code}" in str(raised.value)
    assert len(fake_names.genderize.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html>bad gateway</html>",
        b'{"name": "ella", "gender": "male"}',  # an object where a list was asked for
        b"[]",  # fewer answers than names
        b'[{"name": "ella", "gender": "robot", "probability": 0.5, "count": 3}]',
        b'[{"name": "ella", "gender": "male", "probability": 7, "count": 3}]',
        b'[{"name": "ella", "gender": "male", "probability": 0.5}]',
    ],
)
async def test_wrong_shapes_fail_at_once(fake_names: FakeNameServices, body: bytes) -> None:
    fake_names.genderize.fail_always(Fault.malformed(body))
    api = genderize(fake_names.genderize)
    with pytest.raises(ServiceError) as raised:
        await api.guess(["Ella"])
    await api.aclose()
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_names.genderize.requests) == 1


async def test_a_used_up_daily_limit_fails_fast_with_the_wait(
    fake_names: FakeNameServices,
) -> None:
    fake = fake_names.genderize
    fake.daily_limit(reset_seconds=11_520)
    api = genderize(fake, tries=5)
    try:
        with pytest.raises(ServiceError) as raised:
            await api.guess(["Ella"])
        assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
        assert "daily request limit is used up; it resets in 3h 12m" in str(raised.value)
        assert len(fake.requests) == 1  # no retries: the wait is far above the policy's longest
        # Later calls in this process do not ask again until the reset.
        started = time.monotonic()
        with pytest.raises(ServiceError, match="resets in 3h 12m"):
            await api.guess(["Obi"])
        assert time.monotonic() - started < 0.2
        assert len(fake.requests) == 1
    finally:
        await api.aclose()


async def test_a_short_daily_reset_is_waited_for(fake_names: FakeNameServices) -> None:
    fake = fake_names.genderize
    fake.daily_limit(reset_seconds=1)
    api = genderize(fake, tries=2, max_delay=2.0)
    try:
        with pytest.raises(ServiceError):
            await api.guess(["Ella"])  # the fake keeps saying so: one wait, one more try
        assert len(fake.requests) == 2
        assert fake.gaps()[0] >= 1.0
    finally:
        await api.aclose()


def test_wait_text() -> None:
    assert wait_text(11_520) == "3h 12m"
    assert wait_text(42.3) == "43s"
    assert wait_text(61) == "1m 1s"
