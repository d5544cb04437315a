"""Export links: signed for one filter, short-lived, and never interchangeable with bearer tokens;
the CSV stream: header first, every row once, and a clean stop when the reader goes away."""

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt
import pytest

from services.auth.tokens import Principal, Role, verify_token
from services.errors import ErrorCode, ServiceError
from services.profiles.enums import AgeGroup, Gender
from services.profiles.export import (
    EXPORT_LINK_TTL,
    ExportSlots,
    issue_export_token,
    stream_profiles_csv,
    verify_export_token,
)
from services.profiles.filters import FilterSpec, normalize
from services.profiles.search import resolve_filter
from tests.conftest import TEST_SECRET, make_token

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ANALYST = Principal("ana", Role.ANALYST, None, datetime.now(UTC) + timedelta(hours=1))


def test_an_export_token_carries_its_canonical_filter() -> None:
    canonical = normalize(
        FilterSpec(
            gender=Gender.FEMALE,
            age_group=AgeGroup.ADULT,
            country_id="ng",
            min_age=25,
            min_gender_probability=0.5,
            min_country_probability=0.25,
        )
    )
    link = issue_export_token(TEST_SECRET, ANALYST, canonical)
    grant = verify_export_token(TEST_SECRET, link.token)
    assert grant.filter == canonical
    assert (grant.subject, grant.role) == ("ana", Role.ANALYST)


def test_a_link_lives_ten_minutes_but_never_past_the_bearer_token() -> None:
    canonical = normalize(FilterSpec())
    long = Principal("ana", Role.ANALYST, None, NOW + timedelta(hours=1))
    link = issue_export_token(TEST_SECRET, long, canonical, now=NOW)
    assert link.expires_at == NOW + EXPORT_LINK_TTL
    short = Principal("ana", Role.ANALYST, None, NOW + timedelta(minutes=2))
    assert issue_export_token(TEST_SECRET, short, canonical, now=NOW).expires_at == (
        NOW + timedelta(minutes=2)
    )


def test_an_expired_link_is_unauthenticated() -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    link = issue_export_token(TEST_SECRET, ANALYST, normalize(FilterSpec()), now=past)
    with pytest.raises(ServiceError, match="expired") as raised:
        verify_export_token(TEST_SECRET, link.token)
    assert raised.value.code is ErrorCode.UNAUTHENTICATED


def test_bearer_tokens_and_export_tokens_are_not_interchangeable() -> None:
    with pytest.raises(ServiceError) as as_export:
        verify_export_token(TEST_SECRET, make_token(Role.ADMIN))
    assert as_export.value.code is ErrorCode.UNAUTHENTICATED
    link = issue_export_token(TEST_SECRET, ANALYST, normalize(FilterSpec()))
    with pytest.raises(ServiceError) as as_bearer:
        verify_token(TEST_SECRET, link.token)
    assert as_bearer.value.code is ErrorCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "filter_claim",
    [{"countryId": "ZZ"}, {"gender": "ROBOT"}, {"minAge": 50, "maxAge": 10}, {"sql": "1"}, "all"],
)
def test_a_forged_filter_is_refused_even_when_signed(filter_claim: object) -> None:
    claims = {
        "iss": "insighta",
        "aud": "insighta-export",
        "sub": "x",
        "role": "admin",
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + timedelta(minutes=1),
        "filter": filter_claim,
    }
    token = jwt.encode(claims, TEST_SECRET.reveal(), algorithm="HS256")
    with pytest.raises(ServiceError, match="not valid"):
        verify_export_token(TEST_SECRET, token)


async def _read_all(pool: asyncpg.Pool, text: str | None = None) -> bytes:
    stream = stream_profiles_csv(pool, resolve_filter(None, text))
    return b"".join([chunk async for chunk in stream])


async def test_the_stream_is_a_csv_of_every_matching_row(
    pool: asyncpg.Pool, demo_profiles: None
) -> None:
    rows = list(csv.DictReader(io.StringIO((await _read_all(pool, "women in Nigeria")).decode())))
    async with pool.acquire() as conn:
        expected = await conn.fetchval(
            "select count(*) from profiles where gender = 'female' and country_id = 'NG'"
        )
    assert len(rows) == expected > 0
    assert {row["gender"] for row in rows} == {"female"}
    assert {row["country_id"] for row in rows} == {"NG"}
    assert rows[0]["created_at"].endswith("Z")


async def test_closing_the_stream_early_stops_the_copy_and_frees_the_connection(
    pool: asyncpg.Pool, demo_profiles: None
) -> None:
    # Several times over: where the COPY stands when the reader leaves varies from run to run.
    for _ in range(5):
        stream = stream_profiles_csv(pool, resolve_filter(None, None))
        first = await anext(stream)
        assert first.startswith(b"id,name,gender,")
        await stream.aclose()
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "profile-export"]
    whole = await _read_all(pool)
    assert whole.count(b"\n") == 2026 + 1


def _acquired(slots: ExportSlots, holder: str, pool_size: int = 10) -> bool:
    try:
        slots.acquire(holder, pool_size=pool_size)
    except ServiceError as error:
        return error.code is not ErrorCode.RATE_LIMITED  # any other code fails the caller
    return True


def test_export_slots_cap_concurrent_exports_at_a_third_of_the_pool() -> None:
    slots = ExportSlots()
    assert [_acquired(slots, f"user-{n}") for n in range(4)] == [True, True, True, False]
    slots.release("user-0")
    assert _acquired(slots, "user-3") is True
    assert _acquired(ExportSlots(), "a", pool_size=2) is True, "a small pool still allows one"
    assert _acquired(ExportSlots(limit=0), "a") is False


def test_a_user_holds_one_export_slot_at_a_time() -> None:
    slots = ExportSlots(limit=10)
    assert _acquired(slots, "user-a") is True
    assert _acquired(slots, "user-a") is False
    assert _acquired(slots, "user-b") is True, "another user is not held up"
    assert slots.active == 2
    slots.release("user-a")
    assert _acquired(slots, "user-a") is True
