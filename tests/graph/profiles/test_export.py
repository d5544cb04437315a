"""`profileExport` links and the CSV download behind them."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from db import profiles as profiles_db
from server.exports import export_routes
from services.auth.tokens import Role
from services.platform.ids import uuid7
from services.platform.read_your_writes import ReadRouting
from services.profiles.export import ExportSlots
from services.profiles.names import name_key
from tests.conftest import TEST_SECRET, GraphQLCall, make_token
from tests.graph.accounts.helpers import (
    INVITE,
    SET_ACTIVE,
    Account,
    emailed_token,
    sign_up,
    unique_email,
)

EXPORT = """
query Export($filter: ProfileFilter, $query: String) {
  profileExport(filter: $filter, query: $query) {
    url
    expiresAt
    filter { gender countryId minAge maxAge cacheKey }
  }
}
"""
TOTAL = "query Total($query: String) { profiles(query: $query) { totalCount } }"


async def _export(gql: GraphQLCall, **variables: Any) -> dict[str, Any]:
    body = await gql(EXPORT, variables)
    assert "errors" not in body, body
    export: dict[str, Any] = body["data"]["profileExport"]
    return export


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_the_link_downloads_every_matching_profile_as_csv(
    gql: GraphQLCall, client: httpx.AsyncClient, demo_profiles: None
) -> None:
    export = await _export(gql, query="young males from kenya")
    assert export["url"].startswith("http://testserver/exports/profiles.csv?token=")
    assert export["filter"]["minAge"] == 16
    response = await client.get(export["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = _rows(response)
    total = (await gql(TOTAL, {"query": "young males from kenya"}))["data"]["profiles"]
    assert len(rows) == total["totalCount"] > 0
    assert all(row["gender"] == "male" and 16 <= int(row["age"]) <= 24 for row in rows)
    assert list(rows[0]) == [
        "id",
        "name",
        "gender",
        "gender_probability",
        "age",
        "age_group",
        "country_id",
        "country_name",
        "country_probability",
        "created_at",
    ]


async def test_plain_english_and_structured_exports_share_one_filter(gql: GraphQLCall) -> None:
    english = await _export(gql, query="Nigerian females between ages 20 and 45")
    structured = await _export(
        gql, filter={"gender": "FEMALE", "countryId": "ng", "minAge": 20, "maxAge": 45}
    )
    assert english["filter"] == structured["filter"]


async def test_an_analyst_may_export_and_a_recruiter_may_not(
    gql: GraphQLCall, client: httpx.AsyncClient, demo_profiles: None
) -> None:
    analyst = await gql(EXPORT, {"query": "seniors"}, token=make_token(Role.ANALYST))
    response = await client.get(analyst["data"]["profileExport"]["url"])
    assert response.status_code == 200
    recruiter = await gql(EXPORT, {}, token=make_token(Role.RECRUITER, organisation="acme"))
    assert recruiter["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(EXPORT, {}, token=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"query": "purple elephants"}, "UNINTERPRETABLE_QUERY"),
        ({"query": "children above 60"}, "BAD_USER_INPUT"),
        ({"filter": {"countryId": "ZZ"}}, "BAD_USER_INPUT"),
    ],
)
async def test_a_bad_filter_fails_before_any_link_is_made(
    gql: GraphQLCall, variables: dict[str, Any], code: str
) -> None:
    body = await gql(EXPORT, variables)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    "token", [None, "", "garbage", make_token(Role.ADMIN)], ids=["none", "empty", "junk", "bearer"]
)
async def test_a_download_without_a_valid_link_token_is_unauthenticated(
    client: httpx.AsyncClient, token: str | None
) -> None:
    params = {} if token is None else {"token": token}
    response = await client.get("/exports/profiles.csv", params=params)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


FORMULA_NAMES = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tTabbed", "\rReturn",
                 "＝1+1", "＋1", "－1", "＠SUM(A1)", " =1", "\u00a0+1", "\u200b@A1", "\ufeff-1",
                 "\u3000＝1"]  # fmt: skip


async def test_cells_that_look_like_formulas_are_escaped(
    gql: GraphQLCall, client: httpx.AsyncClient, pool: asyncpg.Pool, empty_profiles: None
) -> None:
    names = [*FORMULA_NAMES, "Ada Obi", "Mary-Jane O'Neil"]
    now = datetime.now(UTC)
    rows = [
        (uuid7(), name, name_key(name), "female", 0.9, 30, "NG", name, 0.8, now) for name in names
    ]
    async with pool.acquire() as conn, conn.transaction():
        await profiles_db.insert_profiles(conn, rows)
    response = await client.get((await _export(gql))["url"])
    exported = {row["name"]: row["country_name"] for row in _rows(response)}
    expected = {f"'{name}" for name in FORMULA_NAMES} | {"Ada Obi", "Mary-Jane O'Neil"}
    assert set(exported) == expected
    assert all(name == country for name, country in exported.items())


def _downloads(pool: asyncpg.Pool, slots: ExportSlots) -> httpx.AsyncClient:
    """A client of the download route alone, with its own export slots."""
    app = Starlette(routes=export_routes(TEST_SECRET, slots=slots))
    app.state.pool = pool
    app.state.reads = ReadRouting.primary_only(pool)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_past_the_export_cap_a_download_is_rate_limited_and_slots_come_back(
    gql: GraphQLCall, pool: asyncpg.Pool, demo_profiles: None
) -> None:
    url = (await _export(gql, query="seniors"))["url"]
    slots = ExportSlots(limit=1)
    async with _downloads(pool, slots) as http:
        assert (await http.get(url)).status_code == 200
        assert slots.active == 0, "a finished export gives its slot back"
        slots.acquire("someone-else", pool_size=10)  # another export is streaming
        busy = await http.get(url)
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == "10"
    assert busy.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_head_checks_the_link_without_running_the_export(
    gql: GraphQLCall, pool: asyncpg.Pool, demo_profiles: None, caplog: pytest.LogCaptureFixture
) -> None:
    url = (await _export(gql, query="seniors"))["url"]
    slots = ExportSlots(limit=1)
    slots.acquire("someone-else", pool_size=10)  # every slot taken: a GET would be refused
    async with _downloads(pool, slots) as http:
        head = await http.head(url)
        refused = await http.head("/exports/profiles.csv", params={"token": "garbage"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "text/csv; charset=utf-8"
    assert head.headers["content-disposition"].startswith("attachment; filename=")
    assert "content-length" not in head.headers
    assert slots.active == 1
    assert not any("profile export started" in record.getMessage() for record in caplog.records)
    assert refused.status_code == 401


async def _analyst_and_admin(gql: GraphQLCall, pool: asyncpg.Pool) -> tuple[Account, Account]:
    admin = await sign_up(gql)
    email = unique_email("analyst")
    await gql(INVITE, {"email": email, "role": "ANALYST"}, token=admin.access_token)
    analyst = await sign_up(
        gql, email=email, invitation_token=await emailed_token(pool, to=email, kind="user_invite")
    )
    return admin, analyst


async def test_a_link_stops_working_when_its_account_is_disabled(
    gql: GraphQLCall, client: httpx.AsyncClient, pool: asyncpg.Pool, demo_profiles: None
) -> None:
    admin, analyst = await _analyst_and_admin(gql, pool)
    body = await gql(EXPORT, {"query": "seniors"}, token=analyst.access_token)
    url = body["data"]["profileExport"]["url"]
    assert (await client.get(url)).status_code == 200
    disabled = await gql(SET_ACTIVE, {"id": analyst.id, "active": False}, token=admin.access_token)
    assert "errors" not in disabled, disabled
    refused = await client.get(url)
    assert refused.status_code == 401
    error = refused.json()["errors"][0]
    assert (error["extensions"]["code"], error["message"]) == (
        "UNAUTHENTICATED",
        "this account is disabled",
    )


async def test_one_user_streams_one_export_at_a_time_without_blocking_others(
    gql: GraphQLCall, pool: asyncpg.Pool, demo_profiles: None
) -> None:
    analyst = make_token(Role.ANALYST)
    mine = (await gql(EXPORT, {"query": "seniors"}, token=analyst))["data"]["profileExport"]["url"]
    others = (await _export(gql, query="seniors"))["url"]  # the admin fixture's token
    slots = ExportSlots(limit=3)
    app = Starlette(routes=export_routes(TEST_SECRET, slots=slots))
    app.state.pool = pool
    app.state.reads = ReadRouting.primary_only(pool)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        slots.acquire("test-analyst", pool_size=10)  # a slow download of the analyst's runs
        second = await http.get(mine)
        assert (await http.get(others)).status_code == 200, "other users are not held up"
        slots.release("test-analyst")
        assert (await http.get(mine)).status_code == 200, "the slot comes back"
    assert second.status_code == 429
    assert second.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "already" in second.json()["errors"][0]["message"]
    assert slots.active == 0
