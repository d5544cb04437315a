"""The recruiter assistant: offline (extractive) and through the real Gemini SDK against the
fake, with its chat history kept and paged."""

from typing import Any

import asyncpg

from tests.fakes.gemini import FakeGemini
from tests.fakes.server import Fault
from tests.graph.interviews.conftest import Api, error_code, recruiter
from tests.graph.interviews.test_offline_flow import create_interview
from tests.graph.interviews.test_transcripts import append_turns

ASK = """
mutation($id: ID!, $message: String!) {
  askInterviewAssistant(interviewId: $id, message: $message) {
    id interviewId role author content createdAt
  }
}
"""
HISTORY = """
query($id: ID!, $first: Int, $after: String) {
  chatHistory(interviewId: $id, first: $first, after: $after) { id role author content }
}
"""
CACHING: list[dict[str, Any]] = [
    {"speaker": "ai", "text": "How would you add caching to a slow API?", "timestampSec": 0,
     "sequenceNo": 1},
    {"speaker": "candidate", "text": "I would measure first, then cache hot reads in Redis "
     "with a short TTL.", "timestampSec": 12, "sequenceNo": 2},
    {"speaker": "ai", "text": "Tell me about a team conflict.", "timestampSec": 80,
     "sequenceNo": 3},
    {"speaker": "candidate", "text": "We disagreed on deadlines and agreed a plan.",
     "timestampSec": 95, "sequenceNo": 4},
]  # fmt: skip
QUESTION = "How did the candidate answer the caching question?"


async def test_offline_answers_quote_the_transcript_and_history_pages(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    await append_turns(offline_api, token, interview_id, CACHING)
    answer = (await offline_api.data(ASK, {"id": interview_id, "message": QUESTION}, token=token))[
        "askInterviewAssistant"
    ]
    assert (answer["role"], answer["author"], answer["interviewId"]) == (
        "assistant",
        "offline",
        interview_id,
    )
    assert "[00:00:12] Candidate: I would measure first" in answer["content"]
    assert "team conflict" not in answer["content"]
    again = await offline_api.data(ASK, {"id": interview_id, "message": QUESTION}, token=token)
    assert again["askInterviewAssistant"]["content"] == answer["content"]  # deterministic

    everything = (await offline_api.data(HISTORY, {"id": interview_id}, token=token))["chatHistory"]
    assert [m["role"] for m in everything] == ["user", "assistant", "user", "assistant"]
    assert everything[0]["content"] == QUESTION
    assert everything[1]["id"] == answer["id"]
    page = (
        await offline_api.data(
            HISTORY, {"id": interview_id, "first": 2, "after": everything[1]["id"]}, token=token
        )
    )["chatHistory"]
    assert page == everything[2:]
    assert (
        await offline_api.data(
            HISTORY, {"id": interview_id, "after": everything[3]["id"]}, token=token
        )
    )["chatHistory"] == []


async def test_bad_input_and_other_organisations(offline_api: Api, org: str) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    outsider = recruiter(f"{org}-other")
    assert (
        error_code(
            await offline_api.gql(ASK, {"id": interview_id, "message": "Hi"}, token=outsider)
        )
        == "NOT_FOUND"
    )
    assert error_code(await offline_api.gql(HISTORY, {"id": interview_id}, token=outsider)) == (
        "NOT_FOUND"
    )
    assert (
        error_code(await offline_api.gql(ASK, {"id": interview_id, "message": "  "}, token=token))
        == "BAD_USER_INPUT"
    )
    for variables in ({"first": 0}, {"first": 101}, {"after": "nope"},
                      {"after": "0190a3b4-0000-7000-8000-000000000000"}):  # fmt: skip
        body = await offline_api.gql(HISTORY, {"id": interview_id, **variables}, token=token)
        assert error_code(body) == "BAD_USER_INPUT", variables
    assert (await offline_api.data(HISTORY, {"id": interview_id}, token=token))[
        "chatHistory"
    ] == []  # nothing was stored by the refused calls


async def test_gemini_answers_through_the_retry_policy(
    fake_api: Api, org: str, fake_gemini: FakeGemini
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(fake_api, token, resume=None)
    await append_turns(fake_api, token, interview_id, CACHING)
    fake_gemini.reset()
    fake_gemini.script(Fault.status(503))
    fake_gemini.reply({"answer": "They measured first, then cached reads in Redis."})
    answer = (await fake_api.data(ASK, {"id": interview_id, "message": QUESTION}, token=token))[
        "askInterviewAssistant"
    ]
    assert answer["content"] == "They measured first, then cached reads in Redis."
    assert answer["author"] == "gemini-test"
    requests = fake_gemini.generate_requests()
    assert len(requests) == 2  # one 503, retried once
    prompt = requests[-1]["contents"][0]["parts"][0]["text"]
    assert "[00:00:12] Candidate: I would measure first" in prompt
    assert prompt.endswith(f'"recruiters_question": "{QUESTION}"\n}}\n</data>')


async def test_gemini_unavailable_stores_nothing(
    fake_api: Api, org: str, fake_gemini: FakeGemini, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(fake_api, token, resume=None)
    fake_gemini.reset()
    fake_gemini.fail_always(Fault.status(503))
    body = await fake_api.gql(ASK, {"id": interview_id, "message": QUESTION}, token=token)
    assert error_code(body) == "UPSTREAM_UNAVAILABLE"
    assert len(fake_gemini.requests) == 3
    fake_gemini.reset()
    fake_gemini.reply({"answer": "  "})  # an empty answer does not fit: not retried
    empty = await fake_api.gql(ASK, {"id": interview_id, "message": QUESTION}, token=token)
    assert error_code(empty) == "UPSTREAM_UNAVAILABLE"
    assert len(fake_gemini.requests) == 1
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "select count(*) from chat_messages where interview_id = $1::uuid", interview_id
        )
    assert stored == 0


async def test_a_nul_character_in_the_question_is_bad_input_and_stores_nothing(
    offline_api: Api, org: str
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(offline_api, token, resume=None)
    await append_turns(offline_api, token, interview_id, CACHING)
    for message in ("caching\u0000", "\u0000"):
        body = await offline_api.gql(ASK, {"id": interview_id, "message": message}, token=token)
        assert error_code(body) == "BAD_USER_INPUT", message
        assert body["errors"][0]["extensions"]["field"] == "message"
    assert (await offline_api.data(HISTORY, {"id": interview_id}, token=token))["chatHistory"] == []
