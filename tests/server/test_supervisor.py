"""`insighta serve --workers N` as real processes: every worker serves the same answers, the
parent prepares and announces once, stops everything on SIGTERM, and replaces a dead worker."""

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from db.pool import create_pool
from services.profiles.seed import seed_demo_profiles
from tests.conftest import make_token
from tests.databases import fresh_database
from tests.polling import eventually
from tests.servers import Server, running_server

TWO_WORKERS = ("--workers", "2")
PROFILES = """
query Nigerians($filter: ProfileFilter) {
  profiles(filter: $filter, first: 3) { totalCount edges { node { name } } }
}
"""
NIGERIANS = {"countryId": "NG"}
# Pools of server processes are named insighta-<pid> (the LISTEN connection is not).
WORKER_CONNECTIONS = r"""
select distinct substring(application_name from '^insighta-(\d+)$')::int
  from pg_stat_activity
 where datname = current_database()
   and application_name ~ '^insighta-\d+$'
"""


@dataclass(frozen=True, slots=True)
class Workers:
    dsn: str
    server: Server


@pytest.fixture(scope="module")
async def workers(
    server_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Workers]:
    """One `serve --workers 2` on a database with the demo profiles, shared (a start costs
    seconds): each test first waits for two live workers, whatever the one before it did."""
    directory = tmp_path_factory.mktemp("workers")
    async with fresh_database(server_dsn) as dsn:
        pool = await create_pool(dsn, max_size=1)
        try:
            await seed_demo_profiles(pool)
        finally:
            await pool.close()
        async with running_server(
            dsn, directory / "data", directory / "server.log", args=TWO_WORKERS
        ) as server:
            yield Workers(dsn, server)


async def test_two_workers_on_one_database_give_the_same_answers(workers: Workers) -> None:
    pids = await _two_workers(workers.dsn, workers.server)
    answers_by_pid: dict[int, list[Any]] = {}

    async def answered_by_both() -> set[int]:
        for pid, answer in await _profile_answers(workers.server, count=8):
            answers_by_pid.setdefault(pid, []).append(answer)
        return set(answers_by_pid)

    await eventually(
        answered_by_both,
        lambda answered: answered == pids,
        within=60,
        interval=0.1,
        message="both workers to answer",
    )
    answers = [answer for batch in answers_by_pid.values() for answer in batch]
    assert answers[0]["profiles"]["totalCount"] > 0
    assert all(answer == answers[0] for answer in answers)


async def test_embedded_workers_announce_once_and_stop_with_the_server(tmp_path: Path) -> None:
    # No SECRET_KEY: the parent makes the data dir's key once and every worker signs with it.
    server = Server(
        None, tmp_path / "data", tmp_path / "server.log", args=TWO_WORKERS, SECRET_KEY=""
    )
    try:
        await server.ready()
        started = await eventually(
            lambda: _started_workers(server), lambda pids: len(pids) == 2, within=60
        )
        log = server.log.read_text()
        assert log.count("Insighta GraphQL at") == 1
        token = _banner_token(log)
        answers: dict[int, Any] = {}

        async def answered_by_both() -> set[int]:
            for pid, answer in await _profile_answers(server, count=8, token=token):
                answers[pid] = answer
            return set(answers)

        await eventually(
            answered_by_both,
            lambda pids: pids == started,
            within=60,
            interval=0.1,
            message="both workers to answer with the banner's token",
        )
        demo = answers.popitem()[1]
        assert demo["profiles"]["totalCount"] > 0  # the demo profiles, loaded once
        assert all(answer == demo for answer in answers.values())

        pgdata = tmp_path / "data" / "pgdata"
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.process.wait, 60) == 0
        assert not any(_is_running(pid) for pid in started)
        await eventually(
            lambda: _gone(pgdata / "postmaster.pid", postmaster),
            within=30,
            message="the embedded postmaster to stop",
        )
    finally:
        await server.stop()


async def test_sigterm_while_preparing_stops_the_embedded_server_it_started(
    tmp_path: Path,
) -> None:
    pgdata = tmp_path / "data" / "pgdata"
    server = Server(None, tmp_path / "data", tmp_path / "server.log", args=TWO_WORKERS)
    try:
        pid_file = pgdata / "postmaster.pid"
        await eventually(
            lambda: asyncio.to_thread(pid_file.exists),
            within=60,
            interval=0.01,
            message="the embedded postmaster to start",
        )
        postmaster = int(await eventually(lambda: _first_line(pid_file), within=30))
        server.process.send_signal(signal.SIGTERM)  # still starting it, or migrating, or seeding
        assert await asyncio.to_thread(server.process.wait, 60) == 128 + signal.SIGTERM
        assert "Insighta GraphQL at" not in server.log.read_text(), "stopped before serving"
        await eventually(
            lambda: _gone(pid_file, postmaster),
            within=30,
            message="the embedded postmaster to stop",
        )
    finally:
        await server.stop()


async def test_a_killed_worker_is_replaced_and_serving_goes_on(workers: Workers) -> None:
    before = await _two_workers(workers.dsn, workers.server)
    [(_, expected)] = await _profile_answers(workers.server, count=1)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)

    after = await _two_workers(workers.dsn, workers.server, without=victim)
    assert (before - {victim}) < after
    for pid, answer in await _profile_answers(workers.server, count=6):
        assert pid in after
        assert answer == expected


async def test_metrics_sum_every_workers_requests_whichever_worker_is_scraped(
    workers: Workers,
) -> None:
    pids = await _two_workers(workers.dsn, workers.server)
    before = await _operations_counted(workers.server)
    answered: list[int] = []

    async def answered_by_both() -> set[int]:
        answered.extend(pid for pid, _ in await _profile_answers(workers.server, count=6))
        return set(answered)

    await eventually(
        answered_by_both, lambda seen: seen == pids, within=60, message="both workers to answer"
    )
    # Several scrapes, on their own connections, so both workers answer some of them.
    scraped = [await _operations_counted(workers.server) for _ in range(6)]
    assert scraped == [before + len(answered)] * 6


async def _operations_counted(server: Server) -> float:
    """How many `Nigerians` operations /metrics says were answered (by every worker)."""
    async with httpx.AsyncClient(timeout=30) as http:
        text = (await http.get(server.url.replace("/graphql", "/metrics"))).text
    found = re.search(
        r'^insighta_graphql_operation_duration_seconds_count\{operation="Nigerians",'
        r'type="query"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


async def _two_workers(dsn: str, server: Server, *, without: int | None = None) -> set[int]:
    """The pids holding pool connections once they are two children of the server."""

    async def holders() -> set[int]:
        conn = await asyncpg.connect(dsn)
        try:
            return {row[0] for row in await conn.fetch(WORKER_CONNECTIONS)}
        finally:
            await conn.close()

    def two_children(pids: set[int]) -> bool:
        return (
            len(pids) == 2
            and without not in pids
            and all(_parent_of(pid) == server.process.pid for pid in pids)
        )

    return await eventually(
        holders, two_children, within=90, interval=0.2, message="two worker processes"
    )


async def _profile_answers(
    server: Server, *, count: int, token: str | None = None
) -> list[tuple[int, Any]]:
    """`count` concurrent profile queries, each on its own connection, with the pid of the
    worker that answered (from its access log line, by request id)."""
    headers = {"Authorization": f"Bearer {token or make_token()}"}
    body = {"query": PROFILES, "variables": {"filter": NIGERIANS}}

    async def one() -> tuple[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(server.url, json=body, headers=headers)
        payload = response.json()
        assert response.status_code == 200, payload
        assert "errors" not in payload, payload
        return response.headers["x-request-id"], payload["data"]

    answered = await asyncio.gather(*(one() for _ in range(count)))

    async def pids_by_request() -> dict[str, int]:
        return {
            line["request_id"]: line["pid"]
            for line in _log_events(server.log)
            if line.get("logger") == "server.access_log" and "request_id" in line
        }

    logged = await eventually(
        pids_by_request,
        lambda pids: all(request_id in pids for request_id, _ in answered),
        message="the access log lines of the answered requests",
    )
    return [(logged[request_id], data) for request_id, data in answered]


async def _started_workers(server: Server) -> set[int]:
    return {
        line["pid"]
        for line in _log_events(server.log)
        if line.get("message") == "Application startup complete."
    }


def _log_events(log: Path) -> Iterator[dict[str, Any]]:
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            event = orjson.loads(line)
            if isinstance(event, dict):
                yield event


def _banner_token(log: str) -> str:
    match = re.search(r'"Authorization": "Bearer ([^"]+)"', log)
    assert match is not None, log[-2000:]
    return match.group(1)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    # The command name may hold spaces and parentheses; the fields after it do not.
    return stat.rpartition(")")[2].split()


def _parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


def _is_running(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


async def _first_line(path: Path) -> str:
    """The file's first complete line; "" while it is missing or still being written (the
    embedded server's set-up may start and stop PostgreSQL before its final start)."""
    try:
        text = await asyncio.to_thread(path.read_text)
    except FileNotFoundError:
        return ""
    return text.split("\n", 1)[0].strip() if "\n" in text else ""


async def _gone(pid_file: Path, pid: int) -> bool:
    return not await asyncio.to_thread(pid_file.exists) and not _is_running(pid)
