"""transcriptUpdates over real websockets, across two server processes: subscribers on one,
the agent appending and completing on the other (LISTEN/NOTIFY carries the news)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection

from tests.databases import fresh_database
from tests.graph.ingestion.test_server import open_socket
from tests.graph.interviews.conftest import recruiter
from tests.graph.interviews.documents import (
    AGENT_COMPLETE,
    APPEND_TURN,
    CANCEL,
    CREATE_CANDIDATE,
    CREATE_INTERVIEW,
    START_SESSION,
)
from tests.servers import Server, running_server

UPDATES = """
subscription($id: ID!) {
  transcriptUpdates(interviewId: $id) {
    id sequenceNo speaker speakerLabel text timestamp timestampSec
  }
}
"""
ORG = "live-org"


@pytest.fixture(scope="module")
async def servers(
    server_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Server, Server]]:
    directory = tmp_path_factory.mktemp("live")
    async with (
        fresh_database(server_dsn) as dsn,
        running_server(dsn, directory / "a", directory / "a.log") as first,
        running_server(dsn, directory / "b", directory / "b.log") as second,
    ):
        yield first, second


async def call(server: Server, query: str, variables: dict[str, Any], token: str) -> Any:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            server.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def subscribe(server: Server, interview_id: str, token: str | None) -> ClientConnection:
    socket = await open_socket(server.url, token)
    await socket.send(
        orjson.dumps(
            {"id": "1", "type": "subscribe",
             "payload": {"query": UPDATES, "variables": {"id": interview_id}}}
        ).decode()
    )  # fmt: skip
    return socket


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = orjson.loads(await asyncio.wait_for(socket.recv(), 30))
    return message


async def new_interview(server: Server, token: str) -> tuple[str, str]:
    """An interview with a started session: its id and the agent's API token."""
    candidate = await call(
        server, CREATE_CANDIDATE, {"input": {"name": "Ada", "email": "ada@example.com"}}, token
    )
    created = await call(
        server,
        CREATE_INTERVIEW,
        {
            "input": {
                "candidateId": candidate["createCandidate"]["id"],
                "roleTitle": "Engineer",
                "jobDescription": "Python and PostgreSQL",
            }
        },
        token,
    )
    interview_id: str = created["createInterview"]["id"]
    started = await call(server, START_SESSION, {"id": interview_id}, token)
    agent: str = started["startInterviewSession"]["agentApiToken"]
    return interview_id, agent


def turn(n: int, seconds: int) -> dict[str, Any]:
    return {"speaker": "ai" if n % 2 else "candidate", "text": f"turn {n}", "timestampSec": seconds,
            "sequenceNo": n}  # fmt: skip


async def test_two_subscribers_get_every_turn_once_in_order_then_complete(
    servers: tuple[Server, Server],
) -> None:
    here, there = servers
    token = recruiter(ORG)
    interview_id, agent = await new_interview(there, token)
    await call(there, APPEND_TURN, {"id": interview_id, "turn": turn(1, 30)}, agent)

    sockets = [await subscribe(here, interview_id, token) for _ in range(2)]
    try:
        firsts = [await receive(socket) for socket in sockets]
        for first in firsts:  # the turn stored before subscribing comes at once
            assert first["type"] == "next"
            assert first["payload"]["data"]["transcriptUpdates"]["sequenceNo"] == 1

        # appended on the other process: 2 and 4 first, delivered live to both ...
        for n, seconds in ((2, 45), (4, 3710)):
            await call(there, APPEND_TURN, {"id": interview_id, "turn": turn(n, seconds)}, agent)
        received = [[first, await receive(socket), await receive(socket)]
                    for socket, first in zip(sockets, firsts, strict=True)]  # fmt: skip
        # ... then 3, late and out of order, and once more (a retry): it still comes, once
        for _ in range(2):
            await call(there, APPEND_TURN, {"id": interview_id, "turn": turn(3, 3700)}, agent)
        await call(there, AGENT_COMPLETE, {"id": interview_id, "json": None}, agent)

        for socket, messages in zip(sockets, received, strict=True):
            while messages[-1]["type"] == "next":
                messages.append(await receive(socket))
            assert messages[-1] == {"id": "1", "type": "complete"}
            turns = [m["payload"]["data"]["transcriptUpdates"] for m in messages[:-1]]
            assert [t["sequenceNo"] for t in turns] == [1, 2, 4, 3]
            assert [t["timestamp"] for t in turns] == [
                "00:00:00",
                "00:00:15",
                "01:01:20",
                "01:01:10",
            ]
            assert [t["speakerLabel"] for t in turns] == [
                "Meet Mind",
                "Candidate",
                "Candidate",
                "Meet Mind",
            ]
    finally:
        for socket in sockets:
            await socket.close()


async def test_a_completed_interview_replays_its_turns_then_completes(
    servers: tuple[Server, Server],
) -> None:
    here, there = servers
    token = recruiter(ORG)
    interview_id, agent = await new_interview(there, token)
    await call(there, APPEND_TURN, {"id": interview_id, "turn": turn(1, 0)}, agent)
    await call(there, AGENT_COMPLETE, {"id": interview_id, "json": None}, agent)
    socket = await subscribe(here, interview_id, token)
    async with socket:
        first = await receive(socket)
        assert first["payload"]["data"]["transcriptUpdates"]["text"] == "turn 1"
        assert await receive(socket) == {"id": "1", "type": "complete"}


async def test_cancelling_a_live_interview_ends_its_followers(
    servers: tuple[Server, Server],
) -> None:
    here, there = servers
    token = recruiter(ORG)
    interview_id, agent = await new_interview(there, token)
    await call(there, APPEND_TURN, {"id": interview_id, "turn": turn(1, 0)}, agent)
    socket = await subscribe(here, interview_id, token)
    async with socket:
        first = await receive(socket)
        assert first["payload"]["data"]["transcriptUpdates"]["text"] == "turn 1"
        cancelled = await call(there, CANCEL, {"id": interview_id}, token)
        assert cancelled["cancelInterview"]["status"] == "cancelled"
        assert await receive(socket) == {"id": "1", "type": "complete"}


@pytest.mark.parametrize(
    ("token", "code"), [(recruiter(f"{ORG}-other"), "NOT_FOUND"), (None, "UNAUTHENTICATED")]
)
async def test_another_organisation_cannot_follow_an_interview(
    servers: tuple[Server, Server], token: str | None, code: str
) -> None:
    here, there = servers
    interview_id, _ = await new_interview(there, recruiter(ORG))
    socket = await subscribe(here, interview_id, token)
    async with socket:
        message = await receive(socket)
    # a refusal before the stream starts is an `error`; one raised by the stream, a `next`
    if message["type"] == "next":
        assert message["payload"]["data"] is None
        errors = message["payload"]["errors"]
    else:
        assert message["type"] == "error"
        errors = message["payload"]
    assert errors[0]["extensions"]["code"] == code
