"""Who may do what with interviews, and how bad input is answered."""

from typing import Any

import asyncpg
import pytest

from services.auth.tokens import Role
from tests.conftest import GraphQLCall, make_token
from tests.graph.accounts.helpers import sign_up, unique_email
from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.documents import (
    APPEND_TURN,
    COMPLETE,
    CREATE_CANDIDATE,
    CREATE_INTERVIEW,
    INTERVIEW,
    OUTBOX,
    RETRY_ASSESSMENT,
    SEND_INVITE,
    START_SESSION,
)
from tests.graph.interviews.test_offline_flow import create_interview

MISSING = "0190a3b4-0000-7000-8000-000000000000"


async def test_another_organisations_interview_is_not_found_like_a_missing_one(
    offline_api: Api, org: str
) -> None:
    interview_id = await create_interview(offline_api, recruiter(org), resume=None)
    outsider = recruiter(f"{org}-other")
    foreign = await offline_api.gql(INTERVIEW, {"id": interview_id}, token=outsider)
    missing = await offline_api.gql(INTERVIEW, {"id": MISSING}, token=outsider)
    assert error_code(foreign) == error_code(missing) == "NOT_FOUND"
    assert foreign["errors"][0]["message"].replace(interview_id, "X") == missing["errors"][0][
        "message"
    ].replace(MISSING, "X")
    for document in (SEND_INVITE, START_SESSION, RETRY_ASSESSMENT):
        assert error_code(
            await offline_api.gql(document, {"id": interview_id}, token=outsider)
        ) == ("NOT_FOUND")
    assert (
        error_code(
            await offline_api.gql(COMPLETE, {"id": interview_id, "json": None}, token=outsider)
        )
        == "NOT_FOUND"
    )
    turn = {"speaker": "ai", "text": "Hi", "timestampSec": 0}
    assert (
        error_code(
            await offline_api.gql(APPEND_TURN, {"id": interview_id, "turn": turn}, token=outsider)
        )
        == "NOT_FOUND"
    )
    # and the owner still sees it, untouched
    data = await offline_api.data(INTERVIEW, {"id": interview_id}, token=recruiter(org))
    assert data["interview"]["status"] == "draft"


async def test_another_organisations_candidate_cannot_be_interviewed(
    offline_api: Api, org: str
) -> None:
    created = await offline_api.data(
        CREATE_CANDIDATE,
        {"input": {"name": "Ann", "email": "ann@example.com"}},
        token=recruiter(org),
    )
    body = await offline_api.gql(
        CREATE_INTERVIEW,
        {
            "input": {
                "candidateId": created["createCandidate"]["id"],
                "roleTitle": "Engineer",
                "jobDescription": "Go",
            }
        },
        token=recruiter(f"{org}-other"),
    )
    assert error_code(body) == "NOT_FOUND"


async def test_admins_see_every_organisation(offline_api: Api, org: str) -> None:
    interview_id = await create_interview(offline_api, recruiter(org), resume=None)
    data = await offline_api.data(INTERVIEW, {"id": interview_id})
    assert data["interview"]["id"] == interview_id


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (INTERVIEW, {"id": MISSING}),
        (CREATE_CANDIDATE, {"input": {"name": "A", "email": "a@example.com"}}),
        (START_SESSION, {"id": MISSING}),
    ],
)
async def test_analysts_have_no_interview_access(
    offline_api: Api, document: str, variables: dict[str, Any]
) -> None:
    body = await offline_api.gql(document, variables, token=make_token(Role.ANALYST))
    assert error_code(body) == "FORBIDDEN"


async def test_a_recruiter_token_without_an_organisation_is_forbidden(offline_api: Api) -> None:
    body = await offline_api.gql(
        CREATE_CANDIDATE,
        {"input": {"name": "A", "email": "a@example.com"}},
        token=make_token(Role.RECRUITER),
    )
    assert error_code(body) == "FORBIDDEN"


async def test_recruiters_create_candidates_only_in_their_own_organisation(
    offline_api: Api, org: str
) -> None:
    body = await offline_api.gql(
        CREATE_CANDIDATE,
        {"input": {"name": "A", "email": "a@example.com", "organisation": "someone-else"}},
        token=recruiter(org),
    )
    assert error_code(body) == "FORBIDDEN"


async def test_only_admins_read_the_outbox(offline_api: Api, org: str) -> None:
    assert error_code(await offline_api.gql(OUTBOX, {}, token=recruiter(org))) == "FORBIDDEN"
    assert error_code(await offline_api.gql(OUTBOX, {}, token=None)) == "UNAUTHENTICATED"
    assert error_code(await offline_api.gql(OUTBOX, {"first": 101})) == "BAD_USER_INPUT"


async def test_an_agent_token_reaches_only_its_own_interview(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    first = await create_interview(offline_api, token, resume=None)
    second = await create_interview(offline_api, token, resume=None)
    started = await offline_api.data(START_SESSION, {"id": first}, token=token)
    agent = started["startInterviewSession"]["agentApiToken"]
    turn = {"speaker": "ai", "text": "Hi", "timestampSec": 0}
    assert (await offline_api.data(APPEND_TURN, {"id": first, "turn": turn}, token=agent))[
        "appendTranscriptTurn"
    ]["sequenceNo"] == 1
    other = await offline_api.gql(APPEND_TURN, {"id": second, "turn": turn}, token=agent)
    assert error_code(other) == "NOT_FOUND"
    assert error_code(await offline_api.gql(INTERVIEW, {"id": first}, token=agent)) == "FORBIDDEN"


@pytest.mark.parametrize(
    ("candidate", "field"),
    [
        ({"name": "  ", "email": "a@example.com"}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@example.com", "resumeText": "x" * 100_001}, "resumeText"),
    ],
)
async def test_bad_candidates_are_refused_with_the_field(
    offline_api: Api, org: str, candidate: dict[str, Any], field: str
) -> None:
    body = await offline_api.gql(CREATE_CANDIDATE, {"input": candidate}, token=recruiter(org))
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"roleTitle": ""}, "roleTitle"),
        ({"jobDescription": " "}, "jobDescription"),
        ({"questionCount": 0}, "questionCount"),
        ({"questionCount": 21}, "questionCount"),
        ({"candidateId": "nope"}, "candidateId"),
    ],
)
async def test_bad_interviews_are_refused_with_the_field(
    offline_api: Api, org: str, changes: dict[str, Any], field: str
) -> None:
    token = recruiter(org)
    created = await offline_api.data(
        CREATE_CANDIDATE, {"input": {"name": "A", "email": "a@example.com"}}, token=token
    )
    interview = {
        "candidateId": created["createCandidate"]["id"],
        "roleTitle": "Engineer",
        "jobDescription": "Go",
    } | changes
    body = await offline_api.gql(CREATE_INTERVIEW, {"input": interview}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field


@pytest.mark.parametrize(
    ("turn", "field"),
    [
        ({"speaker": "narrator", "text": "Hi", "timestampSec": 0}, "speaker"),
        ({"speaker": "ai", "text": "   ", "timestampSec": 0}, "text"),
        ({"speaker": "ai", "text": "Hi", "timestampSec": -1}, "timestampSec"),
        ({"speaker": "ai", "text": "Hi", "timestampSec": 0, "sequenceNo": 0}, "sequenceNo"),
    ],
)
async def test_bad_turns_are_refused_and_nothing_is_stored(
    offline_api: Api, org: str, turn: dict[str, Any], field: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    body = await offline_api.gql(APPEND_TURN, {"id": interview_id, "turn": turn}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    good = {"speaker": "ai", "text": "Hi", "timestampSec": 0}
    stored = await offline_api.data(APPEND_TURN, {"id": interview_id, "turn": good}, token=token)
    assert stored["appendTranscriptTurn"]["sequenceNo"] == 1


async def test_ids_that_are_not_uuids_are_bad_input(offline_api: Api) -> None:
    body = await offline_api.gql(INTERVIEW, {"id": "42"})
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "id"


async def test_only_a_failed_assessment_can_be_retried(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    before = await offline_api.gql(RETRY_ASSESSMENT, {"id": interview_id}, token=token)
    assert error_code(before) == "BAD_USER_INPUT"
    await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    pending = await offline_api.gql(RETRY_ASSESSMENT, {"id": interview_id}, token=token)
    assert error_code(pending) == "BAD_USER_INPUT"
    assert "PENDING" in pending["errors"][0]["message"]


async def test_a_completed_interview_cannot_start_again(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": None}, token=token)
    body = await offline_api.gql(START_SESSION, {"id": interview_id}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"


async def test_nul_characters_are_bad_input_not_a_crash(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    candidate = await offline_api.gql(
        CREATE_CANDIDATE, {"input": {"name": "A\u0000B", "email": "a@example.com"}}, token=token
    )
    assert error_code(candidate) == "BAD_USER_INPUT"
    assert candidate["errors"][0]["extensions"]["field"] == "name"
    interview_id = await create_interview(offline_api, token, resume=None)
    turn = {"speaker": "ai", "text": "Hi\u0000", "timestampSec": 0}
    body = await offline_api.gql(APPEND_TURN, {"id": interview_id, "turn": turn}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"
    transcript = [{"speaker": "ai", "text": "Hi\u0000"}]
    completed = await offline_api.gql(
        COMPLETE, {"id": interview_id, "json": transcript}, token=token
    )
    assert error_code(completed) == "BAD_USER_INPUT"
    assert completed["errors"][0]["extensions"]["field"] == "transcriptJson"


async def test_an_overlong_organisation_is_bad_input(offline_api: Api) -> None:
    body = await offline_api.gql(
        CREATE_CANDIDATE,
        {"input": {"name": "A", "email": "a@example.com", "organisation": "o" * 101}},
    )
    assert error_code(body) == "BAD_USER_INPUT"
    long_claim = await offline_api.gql(
        CREATE_CANDIDATE,
        {"input": {"name": "A", "email": "a@example.com"}},
        token=recruiter("o" * 101),
    )
    assert error_code(long_claim) == "FORBIDDEN"


async def test_a_transcript_json_of_any_shape_is_kept_for_the_transcript_work(
    offline_api: Api, org: str, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    await offline_api.data(COMPLETE, {"id": interview_id, "json": {"not": "a list"}}, token=token)
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "select transcript_json from interview_sessions where interview_id = $1::uuid",
            interview_id,
        )
    assert stored == {"not": "a list"}
    await offline_api.run_jobs()  # an unusable transcript still gets an assessment
    data = await offline_api.data(INTERVIEW, {"id": interview_id}, token=token)
    assert data["interview"]["assessment"]["status"] == "COMPLETED"


async def test_a_platform_admin_cannot_unknowingly_place_a_candidate_in_a_squatted_organisation(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    squatter = await sign_up(
        gql, email=unique_email("squatter"), organisation_name="Cyberdyne Systems"
    )
    candidate = {"name": "Sarah", "email": "sarah@example.com", "resumeText": "10 years of Go"}
    refused = await gql(
        CREATE_CANDIDATE, {"input": candidate | {"organisation": squatter.organisation}}
    )
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert refused["errors"][0]["extensions"]["organisationOrigin"] == "SIGN_UP"
    assert squatter.email in refused["errors"][0]["message"]
    async with pool.acquire() as conn:
        placed = await conn.fetchval(
            "select count(*) from candidates c join organisations o on o.id = c.organisation_id"
            " where o.slug = $1",
            squatter.organisation,
        )
    assert placed == 0
    confirmed = await gql(
        CREATE_CANDIDATE,
        {"input": candidate | {"organisation": squatter.organisation, "confirmSelfService": True}},
    )
    assert "errors" not in confirmed, confirmed["errors"]


AGENT_COMPLETES = """
mutation($id: ID!) {
  completeInterviewSession(interviewId: $id) {
    id status questions
    candidate { name email resumeText profile { summary } }
  }
}
"""
AGENT_READS = {
    "candidate": "candidate { email resumeText }",
    "assessment": "assessment { status summary recommendation }",
    "invite": "invite { to textBody }",
}


async def test_an_agent_token_cannot_read_candidate_data_through_its_interview(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token)
    await offline_api.data(SEND_INVITE, {"id": interview_id}, token=token)
    started = await offline_api.data(START_SESSION, {"id": interview_id}, token=token)
    agent = started["startInterviewSession"]["agentApiToken"]
    body = await offline_api.gql(AGENT_COMPLETES, {"id": interview_id}, token=agent)
    assert error_code(body) == "FORBIDDEN"
    assert "ada@example.com" not in str(body)
    await offline_api.run_jobs()  # the assessment exists now
    for field, selection in AGENT_READS.items():
        document = (
            "mutation($id: ID!) { completeInterviewSession(interviewId: $id) "
            f"{{ id {selection} }} }}"
        )
        refused = await offline_api.gql(document, {"id": interview_id}, token=agent)
        assert error_code(refused) == "FORBIDDEN", field
        assert refused["errors"][0]["path"][-1] == field
        assert "ada@example.com" not in str(refused)
        owner = await offline_api.data(document, {"id": interview_id}, token=token)
        assert owner["completeInterviewSession"][field] is not None, field
    # What the agent needs still answers: its interview's questions and transcript.
    needed = await offline_api.data(
        "mutation($id: ID!) { completeInterviewSession(interviewId: $id) "
        "{ id status questions transcript { turns { text } } } }",
        {"id": interview_id},
        token=agent,
    )
    assert needed["completeInterviewSession"]["questions"]
