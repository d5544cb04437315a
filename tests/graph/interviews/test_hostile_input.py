"""Hostile values in interview inputs are coded answers, never INTERNAL."""

import json

import asyncpg
import pytest

from services.interviews.sessions import MAX_SEQUENCE_NO
from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.documents import APPEND_TURN, COMPLETE
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


def turn(text: str, sequence_no: int | None = None) -> dict[str, object]:
    return {"speaker": "ai", "text": text, "timestampSec": 0} | (
        {} if sequence_no is None else {"sequenceNo": sequence_no}
    )


async def test_a_sequence_number_past_the_maximum_is_bad_input_and_appends_go_on(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    for sequence_no in (2**31 - 1, MAX_SEQUENCE_NO + 1):
        body = await offline_api.gql(
            APPEND_TURN, {"id": interview_id, "turn": turn("x", sequence_no)}, token=token
        )
        assert error_code(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == "sequenceNo"
    last = {"id": interview_id, "turn": turn("last", MAX_SEQUENCE_NO)}
    assert (await offline_api.data(APPEND_TURN, last, token=token))["appendTranscriptTurn"][
        "sequenceNo"
    ] == MAX_SEQUENCE_NO
    for expected in (MAX_SEQUENCE_NO + 1, MAX_SEQUENCE_NO + 2):
        appended = await offline_api.data(
            APPEND_TURN, {"id": interview_id, "turn": turn("after")}, token=token
        )
        assert appended["appendTranscriptTurn"]["sequenceNo"] == expected


async def test_automatic_numbering_survives_a_turn_stored_at_the_last_int4(
    offline_api: Api, org: str, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    await offline_api.data(APPEND_TURN, {"id": interview_id, "turn": turn("first")}, token=token)
    async with pool.acquire() as conn:  # a turn stored before sequenceNo had a maximum
        await conn.execute(
            "insert into transcript_turns (interview_id, sequence_no, speaker, text, "
            "timestamp_sec) values ($1::uuid, 2147483647, 'ai', 'poison', 0)",
            interview_id,
        )
    for expected in (2, 3):
        appended = await offline_api.data(
            APPEND_TURN, {"id": interview_id, "turn": turn("later")}, token=token
        )
        assert appended["appendTranscriptTurn"]["sequenceNo"] == expected
