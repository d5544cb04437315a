"""The upload guards on /graphql: the CSRF preflight header and the size cap."""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest

from server.app import create_app
from services.platform.settings import Settings
from tests.graph.ingestion.support import ADMIN, HEADER, INGEST, upload

LIMIT = 20_000


@pytest.fixture(scope="module")
async def small_client(
    settings: Settings,
    pool: asyncpg.Pool,
    database_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[httpx.AsyncClient]:
    """An app that accepts files of at most LIMIT bytes."""
    small = replace(settings, max_upload_bytes=LIMIT, data_dir=tmp_path_factory.mktemp("small"))
    app = create_app(small, pool=pool, dsn=database_dsn)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        http.app_settings = small  # type: ignore[attr-defined]
        yield http


def spooled_files(client: httpx.AsyncClient) -> list[Path]:
    spool = client.app_settings.data_dir / "spool"  # type: ignore[attr-defined]
    return sorted(spool.iterdir()) if spool.exists() else []


def csv_of_size(size: int) -> bytes:
    row = b"Someone,f,30,NG\n"
    body = HEADER.encode() + row * ((size - len(HEADER)) // len(row))
    return body + b"\n" * (size - len(body))


async def job_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("select count(*) from ingestion_jobs"))


async def test_body_declared_too_large_is_refused_before_reading(
    small_client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    before = await job_count(pool)
    response = await upload(small_client, csv_of_size(LIMIT * 5))
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    assert await job_count(pool) == before
    assert spooled_files(small_client) == []


async def test_streamed_body_is_cut_off_once_past_the_cap(
    small_client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    before = await job_count(pool)
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + orjson.dumps({"query": INGEST, "variables": {"file": None}}).decode()
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        + '{"0": ["variables.file"]}'
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.csv"\r\n'
        + "Content-Type: text/csv\r\n\r\n"
    ).encode()
    sent = []

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield head
        for _ in range(200):
            sent.append(1)
            yield b"x" * 4096

    response = await small_client.post(
        "/graphql",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {ADMIN}",
            "Apollo-Require-Preflight": "true",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await job_count(pool) == before
    assert spooled_files(small_client) == []


async def test_file_just_over_the_limit_is_refused_and_nothing_is_left(
    small_client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    before = await job_count(pool)
    body = (await upload(small_client, csv_of_size(LIMIT + 1))).json()
    assert body["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "field": "file"}
    assert await job_count(pool) == before
    assert spooled_files(small_client) == []


async def test_file_at_the_limit_is_accepted(small_client: httpx.AsyncClient) -> None:
    body = (await upload(small_client, csv_of_size(LIMIT))).json()
    assert body["data"]["ingestProfiles"]["bytesTotal"] == LIMIT


async def test_plain_json_requests_pass_the_guard(small_client: httpx.AsyncClient) -> None:
    response = await small_client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_oversized_json_body_is_payload_too_large(client: httpx.AsyncClient) -> None:
    padding = "x" * (1 << 20)
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }", "variables": {"padding": padding}},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_json_body_under_the_cap_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }", "variables": {"padding": "x" * 100_000}},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}
