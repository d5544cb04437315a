"""The whole interview flow over GraphQL in offline mode: no keys, no network."""

from typing import Any

import asyncpg
from livekit.api import TokenVerifier

from db import interviews as interviews_db
from db import jobs as jobs_db
from services.auth.tokens import Role
from services.interviews.assessments import ASSESSMENT_JOB
from services.video.tokens import LiveKitKeys
from tests.conftest import TEST_SECRET, StatementLog, make_token
from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.documents import (
    AGENT_COMPLETE,
    APPEND_TURN,
    COMPLETE,
    CREATE_CANDIDATE,
    CREATE_INTERVIEW,
    INTERVIEW,
    JOB,
    OUTBOX,
    RESUME,
    SEND_INVITE,
    START_SESSION,
)


async def create_interview(api: Api, token: str, *, resume: str | None = RESUME) -> str:
    candidate = await api.data(
        CREATE_CANDIDATE,
        {"input": {"name": "Ada Obi", "email": "ada@example.com", "resumeText": resume}},
        token=token,
    )
    interview = await api.data(
        CREATE_INTERVIEW,
        {
            "input": {
                "candidateId": candidate["createCandidate"]["id"],
                "roleTitle": "Backend Engineer",
                "jobDescription": JOB,
            }
        },
        token=token,
    )
    interview_id: str = interview["createInterview"]["id"]
    return interview_id


async def test_a_candidate_gets_an_offline_resume_profile(offline_api: Api, org: str) -> None:
    data = await offline_api.data(
        CREATE_CANDIDATE,
        {"input": {"name": "  Ada   Obi ", "email": "ada@example.com", "resumeText": RESUME}},
        token=recruiter(org),
    )
    candidate = data["createCandidate"]
    assert candidate["name"] == "Ada Obi"
    assert candidate["profile"]["model"] == "offline"
    assert candidate["profile"]["skills"] == ["Python", "PostgreSQL", "Redis", "caching"]
    assert candidate["profile"]["yearsOfExperience"] == 7.0
    assert candidate["profile"]["education"] == ["BSc Computer Science, University of Lagos"]


async def test_a_candidate_without_a_resume_has_no_profile(offline_api: Api, org: str) -> None:
    data = await offline_api.data(
        CREATE_CANDIDATE,
        {"input": {"name": "Bo", "email": "bo@example.com"}},
        token=recruiter(org),
    )
    assert data["createCandidate"]["profile"] is None


async def test_an_interview_gets_generated_questions(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    interview = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"]
    assert interview["status"] == "draft"
    assert len(interview["questions"]) == 5
    assert "Python" in interview["questions"][0]
    assert interview["assessment"] is None
    assert interview["invite"] is None
    assert interview["candidate"]["name"] == "Ada Obi"


async def test_the_invitation_is_logged_once_and_readable_by_admins(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    sent = await offline_api.data(SEND_INVITE, {"id": interview_id}, token=token)
    assert sent["sendInterviewInvite"]["status"] == "scheduled"
    assert sent["sendInterviewInvite"]["invite"]["status"] == "QUEUED"
    again = await offline_api.data(SEND_INVITE, {"id": interview_id}, token=token)
    assert again["sendInterviewInvite"]["invite"]["status"] == "QUEUED"

    assert len(await offline_api.run_jobs()) == 1  # one email job for two calls
    invite = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"][
        "invite"
    ]
    assert (invite["status"], invite["attempts"], invite["providerId"]) == ("LOGGED", 1, None)
    assert f"/interviews/{interview_id}/join" in invite["textBody"]
    assert invite["subject"] == "Your interview for Backend Engineer"

    await offline_api.data(SEND_INVITE, {"id": interview_id}, token=token)
    assert await offline_api.run_jobs() == []  # a logged invite is not queued again
    outbox = (await offline_api.data(OUTBOX, {"status": "LOGGED", "first": 100}))["emailOutbox"]
    mine = [email for email in outbox if email["interviewId"] == interview_id]
    assert len(mine) == 1
    assert mine[0]["to"] == "ada@example.com"
    assert mine[0]["kind"] == "invite"


async def test_the_live_session_to_a_completed_assessment(
    offline_api: Api, org: str, sql_log: StatementLog
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    started = (await offline_api.data(START_SESSION, {"id": interview_id}, token=token))[
        "startInterviewSession"
    ]
    assert started["roomName"] == f"interview-{interview_id}"
    assert (started["status"], started["livekitUrl"]) == ("active", None)
    keys = LiveKitKeys.from_settings(offline_api.services.settings, TEST_SECRET)
    grants = TokenVerifier(keys.api_key, keys.api_secret.reveal()).verify(started["candidateToken"])
    assert grants.video is not None
    assert grants.video.room == started["roomName"]
    status = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assert status["interview"]["status"] == "in_progress"

    agent = started["agentApiToken"]
    turns: list[dict[str, Any]] = [
        {"speaker": "ai", "text": "Tell me about caching.", "timestampSec": 5, "sequenceNo": 1},
        {
            "speaker": "candidate",
            "text": "I measured PostgreSQL reads, because guessing is slow, then added Redis.",
            "timestampSec": 20,
            "sequenceNo": 2,
        },
        {"speaker": "interviewer", "text": "Thanks.", "timestampSec": 3725, "sequenceNo": 3},
    ]
    answers = []
    for turn in turns:
        data = await offline_api.data(APPEND_TURN, {"id": interview_id, "turn": turn}, token=agent)
        answers.append(data["appendTranscriptTurn"])
    assert [a["timestamp"] for a in answers] == ["00:00:00", "00:00:15", "01:02:00"]
    assert [a["speakerLabel"] for a in answers] == ["Meet Mind", "Candidate", "Interviewer"]

    retried = await offline_api.data(
        APPEND_TURN, {"id": interview_id, "turn": turns[1]}, token=agent
    )
    assert retried["appendTranscriptTurn"]["id"] == answers[1]["id"]  # not stored twice
    conflicting = await offline_api.gql(
        APPEND_TURN, {"id": interview_id, "turn": {**turns[1], "text": "Other"}}, token=agent
    )
    assert error_code(conflicting) == "BAD_USER_INPUT"
    unnumbered = await offline_api.data(
        APPEND_TURN,
        {"id": interview_id, "turn": {"speaker": "AI", "text": " Bye ", "timestampSec": 3730}},
        token=agent,
    )
    assert unnumbered["appendTranscriptTurn"]["sequenceNo"] == 4
    assert unnumbered["appendTranscriptTurn"]["speaker"] == "ai"
    assert unnumbered["appendTranscriptTurn"]["text"] == "Bye"

    completed = await offline_api.data(
        AGENT_COMPLETE, {"id": interview_id, "json": None}, token=agent
    )
    assert completed["completeInterviewSession"]["status"] == "completed"
    pending = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assert pending["interview"]["assessment"]["status"] == "PENDING"
    assert pending["interview"]["assessment"]["attempts"] == 0
    assert len(await offline_api.run_jobs()) == 1

    with sql_log.counting() as reads:
        final = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assessment = final["interview"]["assessment"]
    assert (assessment["status"], assessment["attempts"], assessment["model"]) == (
        "COMPLETED",
        1,
        "offline",
    )
    assert assessment["error"] is None
    assert [s["criterion"] for s in assessment["scores"]] == [
        "communication",
        "technical_depth",
        "problem_solving",
        "role_fit",
    ]
    assert "1 turns" in assessment["summary"]
    assert reads.statements == 4  # interview, then one batch each: assessment, candidate, invite

    repeated = await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    assert repeated["completeInterviewSession"]["assessment"]["status"] == "COMPLETED"
    assert await offline_api.run_jobs() == []  # completing twice is harmless


async def test_transcript_json_alone_feeds_the_assessment(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    transcript = [
        {"speaker": "ai", "content": "Why Python?", "timestamp_sec": 0},
        {"speaker": "candidate", "text": "Because the ecosystem is strong.", "timestamp_sec": 4},
    ]
    await offline_api.data(COMPLETE, {"id": interview_id, "json": transcript}, token=token)
    await offline_api.run_jobs()
    data = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assert "1 turns (5 words" in data["interview"]["assessment"]["summary"]


async def test_a_later_transcript_queues_a_fresh_assessment(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    await offline_api.run_jobs()
    first = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assert "0 turns" in first["interview"]["assessment"]["summary"]

    late = [{"speaker": "candidate", "text": "I did arrive after all.", "timestamp_sec": 1}]
    await offline_api.data(COMPLETE, {"id": interview_id, "json": late}, token=token)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": late}, token=token)  # retried
    assert len(await offline_api.run_jobs()) == 1
    second = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assert "1 turns" in second["interview"]["assessment"]["summary"]


async def test_a_turn_appended_after_completion_is_assessed(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    await offline_api.run_jobs()
    late = {"speaker": "candidate", "text": "One last thing.", "timestampSec": 5, "sequenceNo": 1}
    for _ in range(2):  # the agent's retry is the same turn: one fresh assessment
        await offline_api.data(APPEND_TURN, {"id": interview_id, "turn": late}, token=token)
    assert len(await offline_api.run_jobs()) == 1
    done = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"]
    assert (done["status"], done["assessment"]["status"]) == ("completed", "COMPLETED")
    assert "1 turns" in done["assessment"]["summary"]


async def test_a_transcript_arriving_during_generation_is_assessed_after_it(
    offline_api: Api, org: str, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    async with pool.acquire() as conn:  # a worker is generating revision 1 ...
        job = await jobs_db.claim_next_job(
            conn, owner="busy", lease_seconds=30, kinds=[ASSESSMENT_JOB]
        )
        assert job is not None
        await interviews_db.start_assessment(
            conn, interview_id=job["payload"]["interview_id"], revision=1
        )
    late = [{"speaker": "candidate", "text": "I did arrive after all.", "timestamp_sec": 1}]
    await offline_api.data(COMPLETE, {"id": interview_id, "json": late}, token=token)  # ... now
    async with pool.acquire() as conn:  # revision 1's run ends
        assert await jobs_db.finish_job(
            conn, job_id=job["id"], owner="busy", status="COMPLETED", error=None
        )
    assert len(await offline_api.run_jobs()) == 1  # revision 2, not left PENDING
    done = (await offline_api.data(INTERVIEW, {"id": interview_id}, token=token))["interview"]
    assert done["assessment"]["status"] == "COMPLETED"
    assert "1 turns" in done["assessment"]["summary"]


async def test_admins_may_place_a_candidate_in_any_organisation(offline_api: Api, org: str) -> None:
    data = await offline_api.data(
        CREATE_CANDIDATE,
        {"input": {"name": "Cy", "email": "cy@example.com", "organisation": org}},
    )
    candidate_id = data["createCandidate"]["id"]
    interview = await offline_api.data(
        CREATE_INTERVIEW,
        {"input": {"candidateId": candidate_id, "roleTitle": "Analyst", "jobDescription": "SQL"}},
        token=recruiter(org),  # the recruiter of that organisation sees the candidate
    )
    assert interview["createInterview"]["status"] == "draft"
    analyst = make_token(Role.ANALYST)
    denied = await offline_api.gql(
        INTERVIEW, {"id": interview["createInterview"]["id"]}, token=analyst
    )
    assert error_code(denied) == "FORBIDDEN"
