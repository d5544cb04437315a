"""createProfile(s) and deleteProfile end to end: GraphQL over HTTP, real PostgreSQL, the fake
Genderize, Agify and Nationalize (or the offline provider, in the session's app)."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest

from server.app import create_app
from services.auth.tokens import Role
from services.platform.settings import Secret, Settings
from services.profiles.names import name_key
from tests.conftest import GraphQLCall, make_token
from tests.fakes.names import API_KEY, FakeNameServices
from tests.fakes.server import Fault

ADMIN = make_token(Role.ADMIN)
PROFILE_FIELDS = """
id name gender genderProbability age ageGroup countryId countryName countryProbability
sampleSize
"""
CREATE = f"""
mutation Create($name: String!) {{
  createProfile(name: $name) {{ created offline profile {{ {PROFILE_FIELDS} }} }}
}}
"""
CREATE_MANY = f"""
mutation CreateMany($names: [String!]!) {{
  createProfiles(names: $names) {{ created offline profile {{ {PROFILE_FIELDS} }} }}
}}
"""
DELETE = "mutation Delete($id: ID!) { deleteProfile(id: $id) }"
PROFILE = f"query One($id: ID!) {{ profile(id: $id) {{ {PROFILE_FIELDS} }} }}"
STATS = """
query Stats($groupBy: [ProfileDimension!]!, $filter: ProfileFilter) {
  profileStats(groupBy: $groupBy, filter: $filter) { key count }
}
"""
BREAKDOWNS: tuple[list[str], ...] = (
    [],
    ["GENDER"],
    ["COUNTRY"],
    ["AGE_GROUP"],
    ["AGE"],
    ["GENDER", "COUNTRY", "AGE"],
)
FAST = {"tries": 2.0, "initial_delay": 0.02, "max_delay": 0.5}


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def gql(
        self, query: str, variables: dict[str, Any], *, token: str = ADMIN
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def api(
    settings: Settings, pool: asyncpg.Pool, fake_names: FakeNameServices
) -> AsyncIterator[Api]:
    configured = replace(
        settings,
        genderize_base_url=fake_names.genderize.url,
        agify_base_url=fake_names.agify.url,
        nationalize_base_url=fake_names.nationalize.url,
        genderize_api_key=Secret(API_KEY),
        upstream_timeout_seconds=0.3,
        # Upstream answers are cached per name; these tests count requests, so no cache.
        cache_ttl_seconds=0,
        retry_overrides={task: FAST for task in ("genderize", "agify", "nationalize")},
    )
    app = create_app(configured, pool=pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Api(http)
    await app.state.names.aclose()


def error_of(body: dict[str, Any]) -> tuple[str, str]:
    assert body.get("errors"), f"expected an error, got {body}"
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


async def stored(pool: asyncpg.Pool, name: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(
            "select count(*) from profiles where name_key = $1", name_key(name)
        )
    return count


async def breakdowns(gql: Any) -> list[list[dict[str, Any]]]:
    results = []
    for group_by in BREAKDOWNS:
        body = await gql(STATS, {"groupBy": group_by})
        assert "errors" not in body, body
        results.append(body["data"]["profileStats"])
    # Totals read from the probability histograms too (a whole-percentage threshold), without
    # a country and with one (the created profiles are Nigerian).
    for threshold_filter in (
        {"minGenderProbability": 0.5},
        {"countryId": "NG", "minGenderProbability": 0.5},
        {"countryId": "NG", "minCountryProbability": 0.5, "minAge": 13},
    ):
        body = await gql(STATS, {"groupBy": [], "filter": threshold_filter})
        results.append(body["data"]["profileStats"])
    return results


async def test_a_name_becomes_a_profile_from_the_three_services(
    api: Api, pool: asyncpg.Pool, fake_names: FakeNameServices
) -> None:
    body = await api.gql(CREATE, {"name": "  Ella \n "})
    assert "errors" not in body, body
    creation = body["data"]["createProfile"]
    assert creation["created"] is True
    assert creation["offline"] is False  # the three services answered, not the local provider
    profile = creation["profile"]
    assert {key: value for key, value in profile.items() if key != "id"} == {
        "name": "Ella",
        "gender": "MALE",
        "genderProbability": 0.9,
        "age": 24,
        "ageGroup": "ADULT",
        "countryId": "NG",
        "countryName": "Nigeria",
        "countryProbability": 0.6,
        "sampleSize": 104,
    }
    for fake in fake_names.all:
        assert fake.lookups == [["Ella"]]
    again = await api.gql(PROFILE, {"id": profile["id"]})
    assert again["data"]["profile"] == profile
    await api.gql(DELETE, {"id": profile["id"]})


async def test_an_existing_name_returns_its_profile_not_an_error(
    api: Api, fake_names: FakeNameServices
) -> None:
    first = (await api.gql(CREATE, {"name": "Nkechi Obi"}))["data"]["createProfile"]
    for fake in fake_names.all:
        fake.lookups.clear()
    second = (await api.gql(CREATE, {"name": "NKECHI   obi"}))["data"]["createProfile"]
    assert second == {"created": False, "offline": False, "profile": first["profile"]}
    assert [fake.lookups for fake in fake_names.all] == [[], [], []]  # nothing asked
    await api.gql(DELETE, {"id": first["profile"]["id"]})


FAILURES = ("null answer", "503", "wrong shape", "timeout", "daily limit", "429")


@pytest.mark.parametrize("service", ["genderize", "agify", "nationalize"])
@pytest.mark.parametrize("failure", FAILURES)
async def test_an_upstream_failure_stores_nothing_and_names_the_service(
    api: Api, pool: asyncpg.Pool, fake_names: FakeNameServices, service: str, failure: str
) -> None:
    fake = fake_names.by_service(service)
    name = "Failing Name"
    if failure == "null answer":
        fake.unknown.add(name)
    elif failure == "503":
        fake.fail_always(Fault.status(503))
    elif failure == "wrong shape":
        fake.fail_always(Fault.malformed(b'{"unexpected": true}'))
    elif failure == "timeout":
        fake.fail_always(Fault.slow(1.0))
    elif failure == "daily limit":
        fake.daily_limit(reset_seconds=7200)
    else:  # a Retry-After longer than the policy waits
        fake.fail_always(Fault.status(429, retry_after="30"))
    body = await api.gql(CREATE, {"name": name})
    code, message = error_of(body)
    if failure == "null answer":
        assert code == "BAD_USER_INPUT"
        assert f"{service.capitalize()} knows nothing usable about 'Failing Name'" in message
    else:
        assert code == "UPSTREAM_UNAVAILABLE"
        assert message.startswith(f"{service} is unavailable right now")
    if failure == "daily limit":
        assert "resets in 2h 0m" in message
        assert len(fake.requests) == 1
    assert body["data"] is None
    assert await stored(pool, name) == 0


async def test_a_batch_of_100_is_ten_requests_of_ten_names_per_service(
    api: Api, pool: asyncpg.Pool, fake_names: FakeNameServices, empty_profiles: None
) -> None:
    names = [f"Batch Person {index:03d}" for index in range(100)]
    body = await api.gql(CREATE_MANY, {"names": names})
    assert "errors" not in body, body
    creations = body["data"]["createProfiles"]
    assert [creation["profile"]["name"] for creation in creations] == names
    assert all(creation["created"] for creation in creations)
    for fake in fake_names.all:
        assert [len(batch) for batch in fake.lookups] == [10] * 10
        assert sorted(name for batch in fake.lookups for name in batch) == names
    total = await api.gql(STATS, {"groupBy": []})
    assert total["data"]["profileStats"] == [{"key": {}, "count": 100}]

    # Asked again, with a repeat and one new name: only the new name goes upstream.
    for fake in fake_names.all:
        fake.lookups.clear()
    again = await api.gql(CREATE_MANY, {"names": [*names[:3], "batch person 000", "Newcomer"]})
    made = again["data"]["createProfiles"]
    assert [creation["created"] for creation in made] == [False, False, False, False, True]
    assert made[3]["profile"]["id"] == creations[0]["profile"]["id"]
    for fake in fake_names.all:
        assert fake.lookups == [["Newcomer"]]


async def test_one_unknown_name_in_a_batch_stores_none_of_it(
    api: Api, pool: asyncpg.Pool, fake_names: FakeNameServices, empty_profiles: None
) -> None:
    names = [f"Mixed Person {index:02d}" for index in range(15)]
    fake_names.agify.unknown.update({names[3], names[12]})
    code, message = error_of(await api.gql(CREATE_MANY, {"names": names}))
    assert code == "BAD_USER_INPUT"
    assert "Agify knows nothing usable about 'Mixed Person 03', 'Mixed Person 12'" in message
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from profiles") == 0


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        ([f"Too Many {index}" for index in range(101)], "at most 100 names"),
        (["Ada", "   "], "must not be empty"),
        (["x" * 501], "at most 500 characters"),
    ],
)
async def test_bad_name_lists_are_refused_before_any_request(
    api: Api, fake_names: FakeNameServices, names: list[str], fragment: str
) -> None:
    code, message = error_of(await api.gql(CREATE_MANY, {"names": names}))
    assert (code, fragment in message) == ("BAD_USER_INPUT", True)
    assert [fake.requests for fake in fake_names.all] == [[], [], []]


async def test_delete_keeps_every_total_and_breakdown_exact(
    gql: GraphQLCall, demo_profiles: None
) -> None:
    before = await breakdowns(gql)
    made = (await gql(CREATE, {"name": "Deleted Soon"}))["data"]["createProfile"]["profile"]
    during = await breakdowns(gql)
    assert during[0] == [{"key": {}, "count": before[0][0]["count"] + 1}]
    assert await gql(DELETE, {"id": made["id"]}) == {"data": {"deleteProfile": True}}
    assert await breakdowns(gql) == before
    assert (await gql(PROFILE, {"id": made["id"]}))["data"]["profile"] is None
    code, _ = error_of(await gql(DELETE, {"id": made["id"]}))
    assert code == "NOT_FOUND"


@pytest.mark.parametrize("role", [Role.ANALYST, Role.RECRUITER])
async def test_only_admins_create_and_delete(
    gql: GraphQLCall, demo_profiles: None, role: Role
) -> None:
    token = make_token(role)
    some_id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    for document, variables in (
        (CREATE, {"name": "Not Allowed"}),
        (CREATE_MANY, {"names": ["Not Allowed"]}),
        (DELETE, {"id": some_id}),
    ):
        code, _ = error_of(await gql(document, variables, token=token))
        assert code == "FORBIDDEN"
    organisation_admin = make_token(Role.ADMIN, organisation="org-names")
    code, _ = error_of(await gql(CREATE, {"name": "Not Allowed"}, token=organisation_admin))
    assert code == "FORBIDDEN"


async def test_offline_the_local_provider_answers_the_same_every_time(
    gql: GraphQLCall, demo_profiles: None
) -> None:
    first = (await gql(CREATE, {"name": "Offline Ada"}))["data"]["createProfile"]
    assert first["created"] is True
    assert first["offline"] is True
    profile = first["profile"]
    assert profile["sampleSize"] is None  # no sample stands behind an offline guess
    existing = (await gql(CREATE, {"name": "OFFLINE ada"}))["data"]["createProfile"]
    assert (existing["created"], existing["offline"]) == (False, False)
    await gql(DELETE, {"id": profile["id"]})
    again = (await gql(CREATE, {"name": "offline ADA"}))["data"]["createProfile"]["profile"]
    same = ("gender", "genderProbability", "age", "countryId", "countryProbability")
    assert {key: again[key] for key in same} == {key: profile[key] for key in same}
    assert again["name"] == "offline ADA"
    await gql(DELETE, {"id": again["id"]})
