"""The assistant's turn choice for long interviews: Gemini embeddings through the real SDK
against the fake, cached per turn, with BM25 when embedding is unavailable."""

import json
import logging
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.ai.prompts import MAX_CHAT_TURNS
from services.transcripts.assistant import rank_turns
from services.transcripts.loading import load_transcript
from services.transcripts.relevance import cosine
from tests.fakes.gemini import FakeGemini, _embedding
from tests.fakes.server import Fault
from tests.graph.interviews.conftest import Api, recruiter
from tests.graph.interviews.test_assistant_chat import ASK
from tests.graph.interviews.test_offline_flow import create_interview
from tests.graph.interviews.test_transcripts import append_turns

TURN_COUNT = 70  # over MAX_CHAT_TURNS, so only some are sent
QUESTION = "How did the candidate answer the caching question?"
LATER = "What did they say about deadlines?"


def long_transcript() -> list[dict[str, Any]]:
    # Every 7th turn is about caching so BM25 has something to find in the fallback test.
    return [
        {
            "speaker": "candidate" if n % 2 else "ai",
            "text": f"Point {n}: " + ("we cache hot reads." if n % 7 == 0 else f"detail {n}."),
            "timestampSec": n * 10,
            "sequenceNo": n,
        }
        for n in range(1, TURN_COUNT + 1)
    ]


def embed_requests(fake: FakeGemini) -> list[list[str]]:
    """The texts of each batchEmbedContents request, in order."""
    return [
        [item["content"]["parts"][0]["text"] for item in json.loads(r.body)["requests"]]
        for r in fake.requests
        if r.path.endswith(":batchEmbedContents")
    ]


def sent_turns(fake: FakeGemini, turns: list[dict[str, Any]]) -> list[int]:
    """The sequence numbers of the turns quoted in the last prompt."""
    prompt = fake.generate_requests()[-1]["contents"][0]["parts"][0]["text"]
    return [turn["sequenceNo"] for turn in turns if f"Point {turn['sequenceNo']}:" in prompt]


def nearest(turns: list[dict[str, Any]], question: str) -> list[int]:
    """What cosine similarity over the fake's embeddings should choose."""
    asked = _embedding(question)["values"]
    scores = {t["sequenceNo"]: cosine(_embedding(t["text"])["values"], asked) for t in turns}
    order = sorted(scores, key=lambda n: (-scores[n], n))
    return sorted(order[:MAX_CHAT_TURNS])


async def test_turns_are_embedded_once_and_the_nearest_are_sent(
    fake_api: Api, org: str, fake_gemini: FakeGemini, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(fake_api, token, resume=None)
    turns = long_transcript()
    await append_turns(fake_api, token, interview_id, turns)
    fake_gemini.reset()
    await fake_api.data(ASK, {"id": interview_id, "message": QUESTION}, token=token)
    # One batch: every turn and the question.
    assert embed_requests(fake_gemini) == [[t["text"] for t in turns] + [QUESTION]]
    chosen = sent_turns(fake_gemini, turns)
    assert chosen == nearest(turns, QUESTION)
    assert len(chosen) == MAX_CHAT_TURNS
    async with pool.acquire() as conn:
        stored = await conn.fetch(
            "select sequence_no, model, cardinality(vector) as size from transcript_embeddings"
            " where interview_id = $1::uuid order by sequence_no",
            interview_id,
        )
    assert [row["sequence_no"] for row in stored] == list(range(1, TURN_COUNT + 1))
    assert {(row["model"], row["size"]) for row in stored} == {("gemini-embedding-001", 8)}

    # The second question reuses the stored turn vectors: only the question is embedded.
    fake_gemini.reset()
    await fake_api.data(ASK, {"id": interview_id, "message": LATER}, token=token)
    assert embed_requests(fake_gemini) == [[LATER]]
    assert sent_turns(fake_gemini, turns) == nearest(turns, LATER)

    # A new turn is embedded on its own next time; the others stay cached.
    extra = {"speaker": "candidate", "text": "Point 71: one more thing.", "timestampSec": 710,
             "sequenceNo": TURN_COUNT + 1}  # fmt: skip
    agent_turns = [extra]
    await append_turns(fake_api, token, interview_id, agent_turns)
    fake_gemini.reset()
    await fake_api.data(ASK, {"id": interview_id, "message": LATER}, token=token)
    assert embed_requests(fake_gemini) == [[extra["text"], LATER]]
    assert sent_turns(fake_gemini, [*turns, extra]) == nearest([*turns, extra], LATER)


async def test_cached_vectors_of_another_size_are_embedded_again(
    fake_api: Api, org: str, fake_gemini: FakeGemini, pool: asyncpg.Pool
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(fake_api, token, resume=None)
    turns = long_transcript()
    await append_turns(fake_api, token, interview_id, turns)
    await fake_api.data(ASK, {"id": interview_id, "message": QUESTION}, token=token)
    async with pool.acquire() as conn:  # as if stored when the model answered 4 numbers
        await conn.execute(
            "update transcript_embeddings set vector = vector[1:4] where interview_id = $1::uuid",
            interview_id,
        )
    fake_gemini.reset()
    await fake_api.data(ASK, {"id": interview_id, "message": LATER}, token=token)
    assert embed_requests(fake_gemini) == [[LATER], [t["text"] for t in turns]]
    assert sent_turns(fake_gemini, turns) == nearest(turns, LATER)
    async with pool.acquire() as conn:
        sizes = await conn.fetch(
            "select distinct cardinality(vector) as size from transcript_embeddings"
            " where interview_id = $1::uuid",
            interview_id,
        )
    assert [row["size"] for row in sizes] == [8]


@pytest.mark.parametrize("status", [500, 503])
async def test_embedding_failure_falls_back_to_bm25(
    fake_api: Api,
    org: str,
    fake_gemini: FakeGemini,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    token = recruiter(org)
    interview_id = await create_interview(fake_api, token, resume=None)
    turns = long_transcript()
    await append_turns(fake_api, token, interview_id, turns)
    fake_gemini.reset()
    fake_gemini.script(*[Fault.status(status)] * 3)  # every embedding try (3 in these tests)
    fake_gemini.reply({"answer": "They cache hot reads."})
    with caplog.at_level(logging.WARNING, logger="services.transcripts.relevance"):
        answer = await fake_api.data(ASK, {"id": interview_id, "message": QUESTION}, token=token)
    assert answer["askInterviewAssistant"]["content"] == "They cache hot reads."
    assert len(embed_requests(fake_gemini)) == 3
    assert len(fake_gemini.generate_requests()) == 1
    async with pool.acquire() as conn:
        transcript = await load_transcript(conn, UUID(interview_id))
        row = await conn.fetchrow(
            "select questions from interviews where id = $1::uuid", interview_id
        )
    assert row is not None
    questions = (
        json.loads(row["questions"]) if isinstance(row["questions"], str) else row["questions"]
    )
    ranked = rank_turns(QUESTION, transcript.turns, questions, limit=MAX_CHAT_TURNS)
    bm25 = sorted(turn.sequence_no for turn in ranked)
    assert 0 < len(bm25) < MAX_CHAT_TURNS
    assert {n for n in range(1, TURN_COUNT + 1) if n % 7 == 0} <= set(bm25)
    assert sent_turns(fake_gemini, turns) == bm25
    assert any("choosing turns by BM25" in record.message for record in caplog.records)
    async with pool.acquire() as conn:
        assert not await conn.fetchval(
            "select count(*) from transcript_embeddings where interview_id = $1::uuid",
            interview_id,
        )
