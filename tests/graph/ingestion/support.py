"""Uploading CSV through the GraphQL multipart endpoint and waiting for the job."""

import uuid
from typing import Any, Final

import asyncpg
import httpx
import orjson

from services.auth.tokens import Role
from tests.conftest import GraphQLCall, make_token
from tests.polling import eventually

ADMIN: Final = make_token(Role.ADMIN)
INGEST: Final = """
mutation Ingest($file: Upload!) {
  ingestProfiles(file: $file) { id status fileName bytesTotal bytesRead totalRows }
}
"""
JOB: Final = """
query Job($id: ID!, $first: Int) {
  ingestionJob(id: $id) {
    id status fileName bytesTotal bytesRead totalRows inserted skipped
    reasons { reason count }
    errors(first: $first) { line reason column value }
    error createdAt startedAt finishedAt
  }
}
"""
HEADER: Final = "name,gender,age,country_id\n"


def unique_prefix() -> str:
    """Names no other test uses, so each test's duplicates are its own."""
    return f"T{uuid.uuid4().hex[:10]} "


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    *,
    token: str | None = ADMIN,
    filename: str = "profiles.csv",
    preflight: bool = True,
    query: str = INGEST,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    return await client.post(
        "/graphql",
        data={
            "operations": orjson.dumps({"query": query, "variables": {"file": None}}).decode(),
            "map": orjson.dumps({"0": ["variables.file"]}).decode(),
        },
        files={"0": (filename, data, "text/csv")},
        headers=headers,
    )


async def submit(client: httpx.AsyncClient, data: bytes, **kwargs: Any) -> dict[str, Any]:
    response = await upload(client, data, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    job: dict[str, Any] = body["data"]["ingestProfiles"]
    return job


async def finished_job(
    gql: GraphQLCall, job_id: str, *, first: int = 100, within: float = 30.0
) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        body = await gql(JOB, {"id": job_id, "first": first})
        job: dict[str, Any] = body["data"]["ingestionJob"]
        return job

    return await eventually(
        probe,
        lambda job: job["status"] in ("COMPLETED", "FAILED"),
        message=f"job {job_id} to finish",
        within=within,
    )


async def ingest(
    client: httpx.AsyncClient, gql: GraphQLCall, data: bytes, **kwargs: Any
) -> dict[str, Any]:
    job = await submit(client, data, **kwargs)
    return await finished_job(gql, job["id"])


def reasons_of(job: dict[str, Any]) -> dict[str, int]:
    return {entry["reason"]: entry["count"] for entry in job["reasons"]}


def assert_accounted(job: dict[str, Any]) -> None:
    assert job["totalRows"] == job["inserted"] + job["skipped"]
    assert sum(reasons_of(job).values()) == job["skipped"]


async def assert_rollups_match_profiles(conn: asyncpg.Connection | asyncpg.Pool) -> None:
    """Every rollup equals its count recomputed from the rows (zero rows may stay behind)."""
    pairs = {
        "profile_counts": (
            "select country_id, gender, age, count from profile_counts where count > 0",
            "select country_id, gender, age, count(*) from profiles group by 1, 2, 3",
        ),
        "profile_totals": (
            "select gender, age, count from profile_totals where count > 0",
            "select gender, age, count(*) from profiles group by 1, 2",
        ),
        "profile_probability_histograms": (
            "select kind, (at - 2)::smallint, gender, age, count"
            "  from profile_probability_histograms, unnest(counts) with ordinality as u(count, at)"
            " where count > 0",
            "select kind, bucket, gender, age, count(*) from ("
            " select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age"
            "   from profiles"
            " union all"
            " select 'c', probability_bucket(country_probability), gender, age from profiles"
            ") b group by 1, 2, 3, 4",
        ),
        "profile_country_probability_histograms": (
            "select kind, country_id, gender, age_group_start, (at - 2)::smallint, count"
            "  from profile_country_probability_histograms,"
            "       unnest(counts) with ordinality as u(count, at)"
            " where count > 0",
            "select kind, country_id, gender, age_group_start(age), bucket, count(*) from ("
            " select 'g' as kind, country_id, gender, age,"
            "        probability_bucket(gender_probability) as bucket"
            "   from profiles"
            " union all"
            " select 'c', country_id, gender, age, probability_bucket(country_probability)"
            "   from profiles"
            ") b group by 1, 2, 3, 4, 5",
        ),
    }
    for table, (kept, recomputed) in pairs.items():
        # One statement: both sides read one snapshot.
        differences = await conn.fetch(
            f"(({kept}) except all ({recomputed})) union all (({recomputed}) except all ({kept}))"
        )
        assert not differences, (table, [tuple(row) for row in differences[:10]])
