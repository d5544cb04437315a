"""cancelInterview: what may be cancelled, what a cancelled interview refuses, and the queued
invitation that must not go out."""

import asyncpg

from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.documents import (
    APPEND_TURN,
    CANCEL,
    COMPLETE,
    INTERVIEW,
    SEND_INVITE,
    START_SESSION,
)
from tests.graph.interviews.test_offline_flow import create_interview


async def test_a_scheduled_interview_is_cancelled_and_its_invitation_withdrawn(
    offline_api: Api, org: str, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(SEND_INVITE, {"id": interview_id}, token=token)
    cancelled = await offline_api.data(CANCEL, {"id": interview_id}, token=token)
    assert cancelled["cancelInterview"] == {"id": interview_id, "status": "cancelled"}

    await offline_api.run_jobs()  # the invitation's job finds nothing left to send
    invite = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"][
        "invite"
    ]
    assert (invite["status"], invite["lastError"]) == ("FAILED", "the interview was cancelled")
    assert invite["providerId"] is None
    async with pool.acquire() as conn:
        jobs = await conn.fetch("select status from background_jobs where key = $1", invite["id"])
    assert [job["status"] for job in jobs] == ["COMPLETED"]


async def test_a_cancelled_interview_refuses_what_would_restart_it(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(CANCEL, {"id": interview_id}, token=token)
    again = await offline_api.data(CANCEL, {"id": interview_id}, token=token)  # harmless
    assert again["cancelInterview"]["status"] == "cancelled"
    turn = {"speaker": "ai", "text": "Hello", "timestampSec": 0, "sequenceNo": 1}
    for document, variables in (
        (START_SESSION, {"id": interview_id}),
        (SEND_INVITE, {"id": interview_id}),
        (COMPLETE, {"id": interview_id, "json": None}),
        (APPEND_TURN, {"id": interview_id, "turn": turn}),
    ):
        body = await offline_api.gql(document, variables, token=token)
        assert error_code(body) == "BAD_USER_INPUT", document
        assert "cancelled" in body["errors"][0]["message"]
    status = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"]
    assert status["status"] == "cancelled"


async def test_an_interview_that_took_place_is_not_cancelled(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    body = await offline_api.gql(CANCEL, {"id": interview_id}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "interviewId"
    status = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"]
    assert status["status"] == "completed"


async def test_another_organisation_cannot_cancel_an_interview(offline_api: Api, org: str) -> None:
    interview_id = await create_interview(offline_api, recruiter(org))
    body = await offline_api.gql(CANCEL, {"id": interview_id}, token=recruiter(f"{org}-other"))
    assert error_code(body) == "NOT_FOUND"
    status = (await offline_api.data(INTERVIEW, {"id": interview_id}))["interview"]
    assert status["status"] == "draft"
