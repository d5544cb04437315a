"""`/metrics`: operation latency by name, errors by code, pool usage, exports."""

import dataclasses
import re

import asyncpg
import httpx

from server.app import create_app
from services.auth.tokens import Role
from services.platform.settings import Secret, Settings
from tests.conftest import GraphQLCall, make_token


def _value(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 when the series does not exist yet)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(2))
    return 0.0


async def _metrics(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_operations_are_timed_by_name_and_errors_counted_by_code(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    before = await _metrics(client)
    await gql("query MetricsProbe { profileStats(groupBy: []) { count } }")
    await gql('query MetricsBad { profiles(query: "purple elephants") { totalCount } }')
    await gql("query MetricsForbidden { profileStats(groupBy: []) { count } }",
              token=make_token(Role.RECRUITER, organisation="acme"))  # fmt: skip
    after = await _metrics(client)
    count = "insighta_graphql_operation_duration_seconds_count"
    assert _value(after, count, operation="MetricsProbe", type="query") == 1
    assert _value(after, count, operation="MetricsBad", type="query") == 1
    for code in ("UNINTERPRETABLE_QUERY", "FORBIDDEN"):
        errors = "insighta_graphql_errors_total"
        assert _value(after, errors, code=code) - _value(before, errors, code=code) == 1


async def test_pool_usage_and_http_latency_are_exposed(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    text = await _metrics(client)
    pool = "insighta_db_pool_connections"
    assert _value(text, pool, pool="primary", state="max") == 5
    assert 1 <= _value(text, pool, pool="primary", state="size") <= 5
    seconds = "insighta_http_request_duration_seconds_count"
    assert _value(text, seconds, method="GET", route="/healthz", status="2xx") >= 1


async def test_export_bytes_are_counted(
    client: httpx.AsyncClient, gql: GraphQLCall, demo_profiles: None
) -> None:
    before = _value(await _metrics(client), "insighta_export_bytes_total")
    link = await gql('{ profileExport(query: "seniors") { url } }')
    csv = await client.get(link["data"]["profileExport"]["url"])
    after = await _metrics(client)
    assert _value(after, "insighta_export_bytes_total") - before == len(csv.content)
    assert _value(after, "insighta_exports_active") == 0


async def test_with_a_metrics_token_only_a_scraper_that_sends_it_gets_an_answer(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> None:
    guarded = dataclasses.replace(settings, metrics_token=Secret("scrape-me"))
    app = create_app(guarded, pool=pool, dsn=database_dsn)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for headers in ({}, {"Authorization": "Bearer guess"}, {"Authorization": "scrape-me"}):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "insighta_" not in refused.text
        answered = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert answered.status_code == 200
        assert "insighta_graphql_operation_duration_seconds" in answered.text
