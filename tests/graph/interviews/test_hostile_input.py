"""Hostile values in interview inputs are coded answers, never INTERNAL."""

import json

import pytest

from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.documents import COMPLETE
from tests.graph.interviews.test_offline_flow import create_interview

HUGE_INTEGERS = ["1" + "0" * 5000, "1" + "0" * 30, "-" + "9" * 25, "18446744073709551616"]


def nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


async def test_deeply_nested_transcript_json_is_bad_input(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    body = await offline_api.gql(COMPLETE, {"id": interview_id, "json": nested(300)}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "transcriptJson"


async def test_deeply_nested_transcript_json_literal_is_bad_input(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    literal = "[" * 300 + "1" + "]" * 300
    document = (
        "mutation($id: ID!) { completeInterviewSession(interviewId: $id, transcriptJson: "
        f"{literal}) {{ id }} }}"
    )
    body = await offline_api.gql(document, {"id": interview_id}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"


@pytest.mark.parametrize("number", HUGE_INTEGERS, ids=lambda number: f"{len(number)}-chars")
async def test_a_huge_integer_literal_in_transcript_json_is_bad_input(
    offline_api: Api, org: str, number: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    document = (
        "mutation($id: ID!) { completeInterviewSession(interviewId: $id, transcriptJson: "
        f'[{{speaker: "ai", text: "x", timestamp_sec: {number}}}]) {{ id }} }}'
    )
    body = await offline_api.gql(document, {"id": interview_id}, token=token)
    assert error_code(body) == "BAD_USER_INPUT"


@pytest.mark.parametrize("number", HUGE_INTEGERS, ids=lambda number: f"{len(number)}-chars")
async def test_a_huge_integer_variable_in_transcript_json_is_bad_input(
    offline_api: Api, org: str, number: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    # json.dumps would write the number as Python sees it; the wire carries its digits as is.
    body = {
        "query": "mutation($id: ID!, $json: JSON) { completeInterviewSession(interviewId: $id, "
        "transcriptJson: $json) { id } }",
        "variables": {"id": interview_id, "json": [{"speaker": "ai", "timestamp_sec": "N"}]},
    }
    raw = json.dumps(body).replace('"N"', number)
    response = await offline_api.http.post(
        "/graphql",
        content=raw,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text
    body = response.json()
    # orjson reads integers past 64 bits as floats, which are stored as they are.
    assert "errors" not in body or error_code(body) == "BAD_USER_INPUT"
