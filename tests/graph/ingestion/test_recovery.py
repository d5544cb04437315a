"""A parse process killed with SIGKILL mid-job: the job resumes from its last checkpoint."""

import multiprocessing
import os
import signal

import asyncpg
import httpx

from tests.conftest import GraphQLCall
from tests.graph.ingestion.support import HEADER, finished_job, submit, unique_prefix
from tests.polling import eventually

ATTEMPT = "select attempt, total_rows from ingestion_jobs where id = $1::uuid"


async def test_killed_parse_process_does_not_lose_or_repeat_rows(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    p = unique_prefix()
    rows = 20_000  # 40 batches of 500
    data = (HEADER + "".join(f"{p}{i},f,{i % 100},NG\n" for i in range(rows))).encode()
    job = await submit(client, data)
    await eventually(
        lambda: pool.fetchrow(ATTEMPT, job["id"]),
        lambda row: row is not None and row["total_rows"] > 0,
        message="a first committed batch",
        interval=0.005,
    )
    workers = multiprocessing.active_children()
    assert workers, "no parse process is running"
    for worker in workers:
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
    done = await finished_job(gql, job["id"])
    assert (done["status"], done["totalRows"], done["inserted"]) == ("COMPLETED", rows, rows)
    record = await pool.fetchrow(ATTEMPT, job["id"])
    assert record is not None
    assert record["attempt"] == 2
    stored = await pool.fetchval("select count(*) from profiles where name like $1", p + "%")
    assert stored == rows
