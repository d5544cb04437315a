"""Malformed HTTP requests get GraphQL-shaped errors with a code, never a 500."""

import httpx
import pytest

from db.pool import create_pool
from server.app import create_app
from services.platform.settings import Settings
from tests.conftest import make_token


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{bad json", "application/json"),
        (b'"just a string"', "application/json"),
        (b"5", "application/json"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": "{ profiles { totalCount } }", "variables": "x"}', "application/json"),
        (b"hello", "text/plain"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
async def test_malformed_requests_are_bad_user_input(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await client.post(
        "/graphql",
        content=content,
        headers={"content-type": content_type, "Authorization": f"Bearer {make_token()}"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"]


async def test_queries_work_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "{ profileStats(groupBy: []) { count } }"},
        headers={"Authorization": f"Bearer {make_token()}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["profileStats"][0]["count"] >= 0


async def test_healthz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_reports_an_unreachable_database(
    settings: Settings, database_dsn: str
) -> None:
    closed_pool = await create_pool(database_dsn, min_size=0, max_size=1)
    await closed_pool.close()
    app = create_app(settings, pool=closed_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


SUBSCRIPTION = """
subscription { ingestionProgress(jobId: "01a21ef2-541e-742a-bca6-093e5756d0e1") { id } }
"""


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_subscription_over_http_points_to_the_websocket(
    client: httpx.AsyncClient, method: str
) -> None:
    # Strawberry ran it as a query: the resolver's async generator became an INTERNAL error.
    headers = {"Authorization": f"Bearer {make_token()}", "Accept": "application/json"}
    if method == "GET":
        response = await client.get("/graphql", params={"query": SUBSCRIPTION}, headers=headers)
    else:
        response = await client.post("/graphql", json={"query": SUBSCRIPTION}, headers=headers)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "websocket" in error["message"]
