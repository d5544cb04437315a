"""Only reads of the profiles make background ingestion yield: a client following its own
job, or any other operation, leaves it at full speed."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from server.app import create_app
from services.ingestion.pacing import QueryActivity
from services.platform.settings import Settings
from tests.conftest import make_token


class StoppedClock:
    now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api(
    settings: Settings, pool: asyncpg.Pool
) -> AsyncIterator[tuple[httpx.AsyncClient, QueryActivity]]:
    app = create_app(settings, pool=pool)
    # The clock never moves, so a request counted as a read keeps the process busy.
    activity = QueryActivity(clock=StoppedClock())
    app.state.activity = activity
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, activity


async def _post(http: httpx.AsyncClient, query: str) -> None:
    response = await http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {make_token()}"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "query",
    [
        '{ ingestionJob(id: "0190a3b4-0000-7000-8000-000000000000") { status } }',
        "{ viewer { role } }",
        '{ interpretQuery(text: "women in Kenya") { unmatched } }',
    ],
    ids=["following-a-job", "viewer", "interpreting"],
)
async def test_operations_that_read_no_profiles_leave_ingestion_at_full_speed(
    api: tuple[httpx.AsyncClient, QueryActivity], query: str
) -> None:
    http, activity = api
    await _post(http, query)
    assert not activity.busy()


@pytest.mark.parametrize(
    "query",
    [
        "{ profiles(first: 1) { totalCount } }",
        "{ profileStats(groupBy: [GENDER]) { count } }",
        "query { ...Page } fragment Page on Query { profiles(first: 1) { totalCount } }",
    ],
    ids=["profiles", "stats", "through-a-fragment"],
)
async def test_reads_of_the_profiles_make_ingestion_yield(
    api: tuple[httpx.AsyncClient, QueryActivity], query: str
) -> None:
    http, activity = api
    await _post(http, query)
    assert activity.busy()
