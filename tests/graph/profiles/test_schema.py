"""The profile API end to end: GraphQL over HTTP, the real schema, a real PostgreSQL."""

import base64
from collections import Counter
from typing import Any

import orjson
import pytest

from services.auth.tokens import Role
from tests.conftest import GraphQLCall, StatementLog, make_token
from tests.demo_data import count_where, demo_records, matches

pytestmark = pytest.mark.usefixtures("demo_profiles")

PROFILES = """
query Profiles(
  $filter: ProfileFilter, $query: String, $sort: ProfileSort, $first: Int, $after: String
) {
  profiles(filter: $filter, query: $query, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name gender genderProbability age ageGroup countryId countryName
                          countryProbability createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    filter { gender ageGroup countryId minAge maxAge minGenderProbability minCountryProbability
             cacheKey }
    unmatched
  }
}
"""
STATS = """
query Stats($filter: ProfileFilter, $query: String, $groupBy: [ProfileDimension!]!) {
  profileStats(filter: $filter, query: $query, groupBy: $groupBy) { key count }
}
"""
PROFILE = "query One($id: ID!) { profile(id: $id) { id name age ageGroup countryName } }"
INTERPRET = """
query Interpret($text: String!) {
  interpretQuery(text: $text) {
    text unmatched filter { gender ageGroup countryId minAge maxAge cacheKey }
  }
}
"""


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), f"expected an error, got {body}"
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_structured_filter_counts_nigerian_women_20_to_45(gql: GraphQLCall) -> None:
    body = await gql(
        PROFILES,
        {
            "filter": {"gender": "FEMALE", "countryId": "ng", "minAge": 20, "maxAge": 45},
            "first": 100,
        },
    )
    connection = body["data"]["profiles"]
    expected = count_where(
        lambda r: matches(r, gender="female", country="NG", min_age=20, max_age=45)
    )
    assert expected > 0
    assert connection["totalCount"] == expected
    assert len(connection["edges"]) == expected
    assert connection["filter"]["countryId"] == "NG"
    for edge in connection["edges"]:
        node = edge["node"]
        assert (node["gender"], node["countryId"]) == ("FEMALE", "NG")
        assert 20 <= node["age"] <= 45


async def test_plain_english_and_structured_filter_share_total_and_cache_key(
    gql: GraphQLCall,
) -> None:
    structured = await gql(
        PROFILES, {"filter": {"gender": "FEMALE", "countryId": "NG", "minAge": 20, "maxAge": 45}}
    )
    english = await gql(PROFILES, {"query": "Nigerian females aged 20 to 45"})
    other_phrasing = await gql(PROFILES, {"query": "Women aged 20-45 living in Nigeria"})
    keys = {
        body["data"]["profiles"]["filter"]["cacheKey"]
        for body in (structured, english, other_phrasing)
    }
    totals = {
        body["data"]["profiles"]["totalCount"] for body in (structured, english, other_phrasing)
    }
    assert len(keys) == 1
    assert totals == {
        count_where(lambda r: matches(r, gender="female", country="NG", min_age=20, max_age=45))
    }


async def test_filter_and_query_must_both_hold(gql: GraphQLCall) -> None:
    body = await gql(PROFILES, {"filter": {"minAge": 30}, "query": "men from Kenya"})
    expected = count_where(lambda r: matches(r, gender="male", country="KE", min_age=30))
    assert body["data"]["profiles"]["totalCount"] == expected


async def test_probability_thresholds_are_inclusive_and_exact(gql: GraphQLCall) -> None:
    body = await gql(
        PROFILES, {"filter": {"minGenderProbability": 0.9, "minCountryProbability": 0.5}}
    )
    expected = count_where(
        lambda r: matches(r, min_gender_probability=0.9, min_country_probability=0.5)
    )
    assert body["data"]["profiles"]["totalCount"] == expected


@pytest.mark.parametrize(
    ("age_group", "low", "high"),
    [("CHILD", 0, 12), ("TEENAGER", 13, 19), ("ADULT", 20, 59), ("SENIOR", 60, 150)],
)
async def test_age_group_filter_matches_stored_groups(
    gql: GraphQLCall, age_group: str, low: int, high: int
) -> None:
    body = await gql(PROFILES, {"filter": {"ageGroup": age_group}})
    expected = count_where(lambda r: low <= r["age"] <= high)
    assert expected == count_where(lambda r: r["age_group"] == age_group.lower())
    assert body["data"]["profiles"]["totalCount"] == expected


SORTS = [
    ("CREATED_AT", "DESC"),
    ("CREATED_AT", "ASC"),
    ("AGE", "ASC"),
    ("AGE", "DESC"),
    ("GENDER_PROBABILITY", "DESC"),
    ("COUNTRY_PROBABILITY", "ASC"),
    ("NAME", "ASC"),
    ("NAME", "DESC"),
]


@pytest.mark.parametrize(("field", "order"), SORTS)
async def test_cursor_walk_sees_every_matching_row_once_in_order(
    gql: GraphQLCall, field: str, order: str
) -> None:
    variables: dict[str, Any] = {
        "filter": {"gender": "MALE", "ageGroup": "ADULT"},
        "sort": {"field": field, "order": order},
        "first": 97,
    }
    seen: list[dict[str, Any]] = []
    pages = 0
    while True:
        connection = (await gql(PROFILES, variables))["data"]["profiles"]
        seen.extend(edge["node"] for edge in connection["edges"])
        pages += 1
        assert connection["pageInfo"]["hasPreviousPage"] == (pages > 1)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = connection["pageInfo"]["endCursor"]
    expected = count_where(lambda r: matches(r, gender="male", age_group="adult"))
    assert len(seen) == expected == connection["totalCount"]
    assert len({node["id"] for node in seen}) == expected
    key = {
        "CREATED_AT": "createdAt",
        "AGE": "age",
        "GENDER_PROBABILITY": "genderProbability",
        "COUNTRY_PROBABILITY": "countryProbability",
    }.get(field)
    if key is not None:
        values = [node[key] for node in seen]
        assert values == sorted(values, reverse=order == "DESC")


async def test_page_size_does_not_change_statement_count(
    gql: GraphQLCall, sql_log: StatementLog
) -> None:
    with sql_log.counting() as small:
        await gql(PROFILES, {"first": 2})
    with sql_log.counting() as large:
        await gql(PROFILES, {"first": 100})
    assert small.statements == large.statements <= 2


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"filter": {"minAge": 50, "maxAge": 20}}, "minAge"),
        ({"filter": {"minAge": -1}}, "minAge"),
        ({"filter": {"minGenderProbability": 1.5}}, "minGenderProbability"),
        ({"filter": {"minCountryProbability": -0.1}}, "minCountryProbability"),
        ({"filter": {"countryId": "XX"}}, "countryId"),
        ({"filter": {"countryId": "Nigeria"}}, "countryId"),
        ({"filter": {"ageGroup": "CHILD", "minAge": 30}}, "ageGroup"),
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "not-a-cursor"}, "after"),
        ({"query": "children above 60"}, None),
        ({"query": "women", "filter": {"gender": "MALE"}}, "gender"),
    ],
)
async def test_bad_input_is_bad_user_input(
    gql: GraphQLCall, variables: dict[str, Any], field: str | None
) -> None:
    body = await gql(PROFILES, variables)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["data"] is None
    if field is not None:
        assert body["errors"][0]["extensions"]["field"] == field


async def test_cursor_from_another_sort_is_rejected(gql: GraphQLCall) -> None:
    first = await gql(PROFILES, {"first": 1, "sort": {"field": "AGE", "order": "ASC"}})
    cursor = first["data"]["profiles"]["pageInfo"]["endCursor"]
    body = await gql(
        PROFILES, {"first": 1, "after": cursor, "sort": {"field": "NAME", "order": "ASC"}}
    )
    assert error_code(body) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "created_at",
    [
        "9999-12-31T23:59:59-05:00",  # past year 9999 once in UTC
        "0001-01-01T00:00:00+05:00",  # before year 1 once in UTC
        "2026-01-01T00:00:00",  # no time zone: never given out
    ],
)
async def test_a_tampered_time_cursor_is_bad_user_input(gql: GraphQLCall, created_at: str) -> None:
    raw = orjson.dumps(["CREATED_AT:DESC", "t", created_at, "01900000-0000-7000-8000-000000000000"])
    body = await gql(PROFILES, {"after": base64.urlsafe_b64encode(raw).decode()})
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "after"


async def test_uninterpretable_query(gql: GraphQLCall) -> None:
    body = await gql(PROFILES, {"query": "purple elephants dancing"})
    assert error_code(body) == "UNINTERPRETABLE_QUERY"


async def test_graphql_validation_errors_carry_a_code(gql: GraphQLCall) -> None:
    body = await gql(PROFILES, {"filter": {"gender": "ROBOT"}})
    assert error_code(body) == "BAD_USER_INPUT"
    body = await gql("query { profiles { nope } }")
    assert error_code(body) == "BAD_USER_INPUT"
    body = await gql("query { profiles(")
    assert error_code(body) == "BAD_USER_INPUT"


async def test_profile_by_id(gql: GraphQLCall) -> None:
    page = await gql(PROFILES, {"first": 1, "query": "seniors in Ghana"})
    node = page["data"]["profiles"]["edges"][0]["node"]
    body = await gql(PROFILE, {"id": node["id"]})
    assert body["data"]["profile"]["name"] == node["name"]
    assert body["data"]["profile"]["ageGroup"] == "SENIOR"
    missing = await gql(PROFILE, {"id": "01900000-0000-7000-8000-000000000000"})
    assert missing == {"data": {"profile": None}}
    assert error_code(await gql(PROFILE, {"id": "nope"})) == "BAD_USER_INPUT"


async def test_stats_by_gender_and_country_match_the_data(gql: GraphQLCall) -> None:
    body = await gql(STATS, {"groupBy": ["GENDER", "COUNTRY"], "filter": {"ageGroup": "ADULT"}})
    groups = body["data"]["profileStats"]
    expected = Counter(
        (r["gender"].upper(), r["country_id"]) for r in demo_records() if r["age_group"] == "adult"
    )
    assert {(g["key"]["gender"], g["key"]["country"]): g["count"] for g in groups} == expected
    counts = [g["count"] for g in groups]
    assert counts == sorted(counts, reverse=True)


async def test_stats_by_age_group_with_probability_threshold(gql: GraphQLCall) -> None:
    body = await gql(STATS, {"groupBy": ["AGE_GROUP"], "filter": {"minGenderProbability": 0.8}})
    expected = Counter(
        r["age_group"].upper() for r in demo_records() if r["gender_probability"] >= 0.8
    )
    assert {g["key"]["ageGroup"]: g["count"] for g in body["data"]["profileStats"]} == expected


async def test_stats_without_dimensions_is_the_total(gql: GraphQLCall) -> None:
    body = await gql(STATS, {"groupBy": [], "query": "kenyan men"})
    expected = count_where(lambda r: matches(r, gender="male", country="KE"))
    assert body["data"]["profileStats"] == [{"key": {}, "count": expected}]


async def test_interpret_query_reports_filter_and_unmatched_words(gql: GraphQLCall) -> None:
    body = await gql(INTERPRET, {"text": "male and female teenagers above 17"})
    result = body["data"]["interpretQuery"]
    assert result["filter"]["ageGroup"] == "TEENAGER"
    assert result["filter"]["minAge"] == 17
    assert result["filter"]["gender"] is None


async def test_profiles_name_the_words_they_could_not_use(gql: GraphQLCall) -> None:
    body = await gql(PROFILES, {"query": "women named Ada", "first": 1})
    connection = body["data"]["profiles"]
    assert connection["unmatched"] == ["named", "Ada"]
    assert connection["totalCount"] == count_where(lambda r: matches(r, gender="female"))
    # The page is cached by meaning; the words are this request's, never the cached ones.
    plain = await gql(PROFILES, {"query": "women", "first": 1})
    assert plain["data"]["profiles"]["unmatched"] == []
    assert plain["data"]["profiles"]["filter"] == connection["filter"]
    structured = await gql(PROFILES, {"filter": {"gender": "FEMALE"}, "first": 1})
    assert structured["data"]["profiles"]["unmatched"] == []


@pytest.mark.parametrize(
    ("query", "place"),
    [
        ("men from Narnia", "'Narnia'"),
        ("Narnian women", "'Narnian'"),
        ("women living in Narnia", "'Narnia'"),
        ("men based in South America", "'South America'"),
    ],
)
async def test_a_place_that_is_no_country_is_refused_everywhere(
    gql: GraphQLCall, query: str, place: str
) -> None:
    for operation, variables in (
        (PROFILES, {"query": query}),
        (STATS, {"query": query, "groupBy": ["GENDER"]}),
        (INTERPRET, {"text": query}),
    ):
        body = await gql(operation, variables)
        assert error_code(body) == "BAD_USER_INPUT", (operation, body)
        assert place in body["errors"][0]["message"]


async def test_stats_refuse_words_they_cannot_report(gql: GraphQLCall) -> None:
    body = await gql(STATS, {"query": "women named Ada", "groupBy": ["COUNTRY"]})
    assert error_code(body) == "UNINTERPRETABLE_QUERY"
    assert "'named', 'Ada'" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["field"] == "query"


async def test_every_operation_needs_a_token(gql: GraphQLCall) -> None:
    body = await gql(PROFILES, {}, token=None)
    assert error_code(body) == "UNAUTHENTICATED"
    assert error_code(await gql(PROFILES, {}, token="forged.token.value")) == "UNAUTHENTICATED"
    expired = make_token(Role.ADMIN, ttl=-10)
    assert error_code(await gql(PROFILES, {}, token=expired)) == "UNAUTHENTICATED"


async def test_recruiters_may_not_read_profiles_but_analysts_may(gql: GraphQLCall) -> None:
    forbidden = await gql(PROFILES, {}, token=make_token(Role.RECRUITER, organisation="acme"))
    assert error_code(forbidden) == "FORBIDDEN"
    allowed = await gql(PROFILES, {"first": 1}, token=make_token(Role.ANALYST))
    assert allowed["data"]["profiles"]["totalCount"] == len(demo_records())


async def test_statement_count_per_operation(gql: GraphQLCall, sql_log: StatementLog) -> None:
    """No N+1 anywhere: a profile by id is one statement, interpreting text none, and a
    breakdown at most two (the data version, then one grouped count)."""
    page = await gql(PROFILES, {"first": 1})
    profile_id = page["data"]["profiles"]["edges"][0]["node"]["id"]
    with sql_log.counting() as one_profile:
        await gql(PROFILE, {"id": profile_id})
    with sql_log.counting() as interpretation:
        await gql(INTERPRET, {"text": "women in Ghana aged 20 to 30"})
    with sql_log.counting() as stats:
        await gql(STATS, {"groupBy": ["GENDER", "AGE_GROUP"], "query": "Nigerians"})
    assert (one_profile.statements, interpretation.statements) == (1, 0)
    assert 1 <= stats.statements <= 2
