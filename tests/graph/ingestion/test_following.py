"""Following a job costs it nothing: a client polling `ingestionJob` as fast as it can leaves
the batches full-sized and the writer without rests (observed in the runner's own account)."""

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from db.pool import create_pool
from server.app import create_app
from services.platform.settings import Settings
from tests.databases import fresh_database
from tests.graph.ingestion.support import ADMIN, HEADER, JOB, submit
from tests.polling import eventually

# Not a multiple of the batch size: the last batch is the one that finds the end.
ROWS = 2_900


@pytest.fixture
async def own_app(settings: Settings, server_dsn: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own on a database of its own: no other test's reads reach its pacing."""
    async with fresh_database(server_dsn) as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            app = create_app(settings, pool=pool, dsn=dsn)
            transport = httpx.ASGITransport(app=app)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
            ):
                yield http
        finally:
            await pool.close()


async def test_a_client_polling_its_job_does_not_slow_ingestion(
    own_app: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    data = HEADER + "".join(f"Follower {i:05d},f,30,NG\n" for i in range(ROWS))
    caplog.set_level(logging.INFO, logger="services.ingestion.runner")
    job = await submit(own_app, data.encode())
    polls = 0

    async def poll() -> str:
        nonlocal polls
        response = await own_app.post(
            "/graphql",
            json={"query": JOB, "variables": {"id": job["id"], "first": 0}},
            headers={"Authorization": f"Bearer {ADMIN}"},
        )
        polls += 1
        await asyncio.sleep(0)
        status: str = response.json()["data"]["ingestionJob"]["status"]
        return status

    status = await eventually(
        poll, lambda status: status in ("COMPLETED", "FAILED"), interval=0, message="the job"
    )
    assert status == "COMPLETED"
    assert polls > 1
    [completed] = [r for r in caplog.records if r.getMessage() == "ingestion job completed"]
    # Every batch as large as the setting allows, and no rest taken: following is not reading.
    assert settings.ingestion_batch_rows is not None  # the suite sets it (tests/conftest.py)
    assert completed.__dict__["batches"] == -(-ROWS // settings.ingestion_batch_rows)
    assert completed.__dict__["rest_seconds"] == 0.0
