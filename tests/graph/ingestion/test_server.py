"""Ingestion against real server processes: the subscription over a real websocket, the CLI,
and a server killed with SIGKILL in the middle of a job (taken over on its own host, and on
another host that has none of its files)."""

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cli.subscriptions import GRAPHQL_TRANSPORT_WS
from services.auth.tokens import Role
from tests.conftest import make_token
from tests.databases import fresh_database
from tests.graph.ingestion.support import (
    ADMIN,
    HEADER,
    INGEST,
    assert_rollups_match_profiles,
    unique_prefix,
)
from tests.polling import eventually
from tests.servers import INSIGHTA, Server, running_server

JOB_ROW = """
select status, total_rows, inserted, skipped, attempt from ingestion_jobs where id = $1::uuid
"""
PROGRESS = """
subscription Progress($id: ID!) {
  ingestionProgress(jobId: $id) {
    id status bytesRead bytesTotal totalRows inserted skipped reasons { reason count }
  }
}
"""


@pytest.fixture(scope="module")
async def server(
    server_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    directory = tmp_path_factory.mktemp("server")
    async with (
        fresh_database(server_dsn) as dsn,
        running_server(
            dsn, directory / "data", directory / "server.log", INGESTION_BATCH_ROWS="200"
        ) as running,
    ):
        yield running


async def http_upload(url: str, data: bytes, *, token: str = ADMIN) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            url,
            data={
                "operations": orjson.dumps({"query": INGEST, "variables": {"file": None}}).decode(),
                "map": '{"0": ["variables.file"]}',
            },
            files={"0": ("file.csv", data, "text/csv")},
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
        )
    job: dict[str, Any] = response.json()["data"]["ingestProfiles"]
    return job


async def open_socket(url: str, token: str | None) -> ClientConnection:
    socket = await connect(url.replace("http", "ws", 1), subprotocols=[GRAPHQL_TRANSPORT_WS])
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    await socket.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
    assert orjson.loads(await socket.recv())["type"] == "connection_ack"
    return socket


async def subscription(url: str, job_id: str, *, token: str | None = ADMIN) -> list[dict[str, Any]]:
    """Every message of one ingestionProgress subscription, up to `complete` or `error`."""
    socket = await open_socket(url, token)
    async with socket:
        await socket.send(
            orjson.dumps(
                {"id": "1", "type": "subscribe",
                 "payload": {"query": PROGRESS, "variables": {"id": job_id}}}
            ).decode()
        )  # fmt: skip
        messages = []
        while True:
            message = orjson.loads(await asyncio.wait_for(socket.recv(), 60))
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages


def make_file(prefix: str, rows: int) -> bytes:
    lines = [HEADER.rstrip("\n")]
    for i in range(rows):
        if i % 50 == 7:
            lines.append(f"{prefix}{i},f,old,NG")  # invalid_age
        elif i % 50 == 9:
            lines.append(f"{prefix}{i - 1},m,40,KE")  # the name of the row before
        else:
            lines.append(f"{prefix}{i},{'mf'[i % 2]},{i % 100},NG")
    return ("\n".join(lines) + "\n").encode()


async def test_subscription_streams_progress_and_completes(server: Server) -> None:
    job = await http_upload(server.url, make_file(unique_prefix(), 4000))
    messages = await subscription(server.url, job["id"])
    assert messages[-1] == {"id": "1", "type": "complete"}
    states = [m["payload"]["data"]["ingestionProgress"] for m in messages[:-1]]
    assert all(m["type"] == "next" for m in messages[:-1])
    assert states[-1]["status"] == "COMPLETED"
    assert len(states) >= 2  # at least the state at joining and the end
    assert [s["totalRows"] for s in states] == sorted(s["totalRows"] for s in states)
    final = states[-1]
    assert (final["totalRows"], final["inserted"] + final["skipped"]) == (4000, 4000)
    assert {r["reason"]: r["count"] for r in final["reasons"]} == {
        "invalid_age": 80, "duplicate_name": 80
    }  # fmt: skip
    assert final["bytesRead"] == final["bytesTotal"]


async def test_late_subscriber_gets_the_final_state_then_complete(server: Server) -> None:
    job = await http_upload(server.url, make_file(unique_prefix(), 10))
    await subscription(server.url, job["id"])  # runs to the end
    late = await subscription(server.url, job["id"])
    assert [m["type"] for m in late] == ["next", "complete"]
    assert late[0]["payload"]["data"]["ingestionProgress"]["status"] == "COMPLETED"


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "UNAUTHENTICATED"), ("not-a-token", "UNAUTHENTICATED"),
     (make_token(Role.ANALYST), "FORBIDDEN")],
)  # fmt: skip
async def test_subscription_needs_an_admin_token_in_connection_init(
    server: Server, token: str | None, code: str
) -> None:
    job = await http_upload(server.url, make_file(unique_prefix(), 1))
    messages = await subscription(server.url, job["id"], token=token)
    errors = [m for m in messages if m["type"] == "error"] or [
        m for m in messages if m["type"] == "next" and m["payload"].get("errors")
    ]
    assert errors, messages
    payload = errors[0]["payload"]
    first = payload[0] if isinstance(payload, list) else payload["errors"][0]
    assert first["extensions"]["code"] == code


async def test_subscription_to_an_unknown_job_is_not_found(server: Server) -> None:
    messages = await subscription(server.url, "01a21ef2-541e-742a-bca6-093e5756d0e1")
    payload = messages[0]["payload"]
    first = payload[0] if isinstance(payload, list) else payload["errors"][0]
    assert first["extensions"]["code"] == "NOT_FOUND"


async def run_cli(server: Server, path: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(INSIGHTA), "ingest", str(path),
        env={"INSIGHTA_URL": server.url, "INSIGHTA_TOKEN": ADMIN, "COLUMNS": "120",
             "PATH": str(Path(sys.executable).parent)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_cli_uploads_follows_and_summarises(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(make_file(unique_prefix(), 600))
    status, output = await run_cli(server, path)
    assert status == 0, output
    assert "COMPLETED" in output
    for shown in ("600", "invalid_age", "duplicate_name"):
        assert shown in output


async def test_cli_exits_non_zero_when_the_job_fails(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_bytes(b"nom,genre\nAda,f\n")
    status, output = await run_cli(server, path)
    assert status == 1, output
    assert "FAILED" in output
    assert "required" in output


async def test_cli_prints_file_names_and_values_as_text_not_markup(
    server: Server, tmp_path: Path
) -> None:
    path = tmp_path / "[b]people.csv"
    path.write_text(f"{HEADER}{unique_prefix()}Ada,f,[/],NG\n")
    status, output = await run_cli(server, path)
    assert status == 0, output
    assert "[b]people.csv:" in output  # the title, wrapped to the narrow table
    assert "[/]" in output  # the skipped row's value


@pytest.mark.parametrize("restarted_on", ["the same host", "another host"])
async def test_killed_server_loses_no_committed_row_and_the_job_resumes(
    server_dsn: str, tmp_path: Path, restarted_on: str
) -> None:
    """A is killed after its first committed batch; B, started on A's data dir or on one of its
    own (another host: it shares the database and nothing else, and restores A's upload from
    the database), resumes from A's last committed batch."""
    prefix = unique_prefix()
    rows = 20_000
    data = make_file(prefix, rows)
    host_a = tmp_path / "host-a"
    host_b = host_a if restarted_on == "the same host" else tmp_path / "host-b"
    async with fresh_database(server_dsn) as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            # Small batches on A, so that it is killed with most of the file to go.
            first = Server(dsn, host_a, tmp_path / "a.log", INGESTION_BATCH_ROWS="100")
            try:
                await first.ready()
                job = await http_upload(first.url, data)

                async def progress() -> asyncpg.Record:
                    record = await conn.fetchrow(JOB_ROW, job["id"])
                    assert record is not None
                    return record

                await eventually(
                    progress,
                    lambda r: r["total_rows"] > 0,
                    message="a first committed batch on A",
                    interval=0.005,
                )
                first.kill()
            finally:
                await first.stop()
            at_kill = await progress()
            # Killed mid-job: some batches committed, the rest not, and nothing says otherwise.
            assert at_kill["status"] == "RUNNING", "the job ended before the kill"
            assert 0 < at_kill["total_rows"] < rows
            committed = await conn.fetchval(
                "select count(*) from profiles where name like $1", prefix + "%"
            )
            assert committed == at_kill["inserted"]
            spooled_on_a = sorted(path.name for path in (host_a / "spool").iterdir())
            assert spooled_on_a == [f"{job['id']}.csv"]

            async with running_server(dsn, host_b, tmp_path / "b.log"):
                done = await eventually(
                    progress,
                    lambda r: r["status"] != "RUNNING",
                    message="the job to resume on B and end",
                )

                async def spooled_on_b() -> list[Path]:
                    return list((host_b / "spool").iterdir())

                # B removes its spool copy right after the job's last commit.
                await eventually(spooled_on_b, lambda files: files == [], message="B's copy gone")
            restored = (
                "ingestion upload restored from the database" in (tmp_path / "b.log").read_text()
            )
            assert restored == (restarted_on == "another host")
            assert done["status"] == "COMPLETED"
            assert done["attempt"] == 2  # resumed on B, not restarted
            assert done["total_rows"] == rows
            assert (done["inserted"], done["skipped"]) == (rows - 800, 800)
            stored = await conn.fetchval(
                "select count(*) from profiles where name like $1", prefix + "%"
            )
            assert stored == rows - 800
            reasons = await conn.fetchval(
                "select reasons from ingestion_jobs where id = $1::uuid", job["id"]
            )
            assert orjson.loads(reasons) == {"invalid_age": 400, "duplicate_name": 400}
            chunks = await conn.fetchval("select count(*) from ingestion_upload_chunks")
            assert chunks == 0
            # The batch in flight at the kill rolled back with its counts.
            await assert_rollups_match_profiles(conn)
        finally:
            await conn.close()


async def first_answer(server: Server, payload: object) -> dict[str, Any]:
    """The first message the server sends back for one `subscribe` with this payload."""
    socket = await open_socket(server.url, ADMIN)
    async with socket:
        message = {"id": "1", "type": "subscribe", "payload": payload}
        await socket.send(orjson.dumps(message).decode())
        answer: dict[str, Any] = orjson.loads(await asyncio.wait_for(socket.recv(), 30))
        return answer


async def test_several_operations_without_a_name_are_an_error_over_the_socket(
    server: Server,
) -> None:
    # The refusal was raised out of validation, so the socket got a bare `complete`.
    answer = await first_answer(server, {"query": "query A { __typename } query B { __typename }"})
    assert answer["type"] == "error", answer
    assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "operationName" in answer["payload"][0]["message"]


@pytest.mark.parametrize(
    "payload",
    ["not an object", {"query": 5}, {"query": "{ __typename }", "variables": "x"},
     {"query": "{ __typename }", "variables": []}, {"query": "{ __typename }", "operationName": 0}],
)  # fmt: skip
async def test_a_malformed_subscribe_closes_with_4400(server: Server, payload: object) -> None:
    # graphql-transport-ws: an invalid message closes the socket with 4400; a payload that
    # was not an object crashed the handler (1006) or ran with the bad fields ignored.
    socket = await open_socket(server.url, ADMIN)
    async with socket:
        message = {"id": "1", "type": "subscribe", "payload": payload}
        await socket.send(orjson.dumps(message).decode())
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 30)
    assert socket.close_code == 4400
    assert socket.close_reason


async def test_a_token_that_expires_on_an_open_socket_starts_nothing_more(
    server: Server,
) -> None:
    # The socket authenticated once, at connection_init: operations sent after the token's
    # expiry still ran as its principal, so a socket kept a token alive for ever.
    socket = await open_socket(server.url, make_token(Role.ADMIN, ttl=2))
    async with socket:
        await asyncio.sleep(2.5)
        message = {"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { role } }"}}
        await socket.send(orjson.dumps(message).decode())
        answer = orjson.loads(await asyncio.wait_for(socket.recv(), 30))
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", answer
    assert "expired" in errors[0]["message"]


async def test_a_websocket_message_over_the_request_limit_closes_the_socket(
    server: Server,
) -> None:
    # HTTP bodies are held to MAX_REQUEST_BYTES (1 MiB); a websocket message was held only to
    # uvicorn's 16 MiB, so a 3 MB document was parsed and run.
    socket = await open_socket(server.url, ADMIN)
    async with socket:
        padding = " " * (1 << 20)
        message = {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }" + padding}}
        await socket.send(orjson.dumps(message).decode())
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 30)
    assert socket.close_code == 1009  # RFC 6455: message too big
