"""GeminiAI: the real google-genai SDK against the fake Gemini REST API."""

import base64
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from google import genai
from google.genai import types

from services.ai.gemini import GeminiAI
from services.ai.provider import AssessmentRequest, QuestionRequest, ResumeInput, TranscriptLine
from services.errors import ErrorCode, ServiceError
from services.platform.settings import Secret, Settings
from tests.fakes.gemini import API_KEY, FakeGemini
from tests.fakes.policies import fast_policies
from tests.fakes.server import Fault

MODEL = "gemini-test"
QUESTIONS = QuestionRequest("Backend Engineer", "Python, PostgreSQL and caching.", count=3)


def settings_for(fake: FakeGemini, *, timeout: float = 0.5) -> Settings:
    return Settings(
        gemini_api_key=Secret(API_KEY),
        gemini_base_url=fake.url,
        gemini_model=MODEL,
        upstream_timeout_seconds=timeout,
    )


@pytest.fixture
async def gemini(fake_gemini: FakeGemini) -> AsyncIterator[GeminiAI]:
    ai = GeminiAI.from_settings(settings_for(fake_gemini), fast_policies())
    yield ai
    await ai.aclose()


async def test_questions_use_structured_json_output(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.reply({"questions": ["One?", " Two? ", "", "Three?", "Four?"]})
    questions = await gemini.generate_questions(QUESTIONS)
    assert questions == ["One?", "Two?", "Three?"]  # trimmed, empty dropped, at most count
    (request,) = fake_gemini.requests
    assert request.path == f"/v1beta/models/{MODEL}:generateContent"
    assert request.headers["x-goog-api-key"] == API_KEY
    config = json.loads(request.body)["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"]["questions"]["type"] == "ARRAY"


async def test_a_pdf_resume_is_sent_as_inline_data(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    pdf = b"%PDF-1.7 a resume"
    fake_gemini.reply(
        {"skills": ["Go"], "years_of_experience": 6, "education": ["BSc"], "summary": "Dev."}
    )
    profile = await gemini.extract_resume(ResumeInput(pdf=pdf))
    assert (profile.skills, profile.years_of_experience, profile.summary) == (("Go",), 6.0, "Dev.")
    parts = fake_gemini.generate_requests()[0]["contents"][0]["parts"]
    inline = next(part["inlineData"] for part in parts if "inlineData" in part)
    assert inline["mime_type" if "mime_type" in inline else "mimeType"] == "application/pdf"
    assert base64.b64decode(inline["data"]) == pdf


async def test_an_assessment_is_read_against_the_rubric(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    request = AssessmentRequest(
        role_title="Engineer",
        job_description="Python",
        questions=["Why Python?"],
        candidate_name="Ada",
        candidate=None,
        transcript=[TranscriptLine("ai", "Why Python?"), TranscriptLine("candidate", "Speed.")],
    )
    result = await gemini.assess(request)  # the fake answers from the response schema
    assert [score.criterion for score in result.scores] == [
        "communication",
        "technical_depth",
        "problem_solving",
        "role_fit",
    ]
    assert all(1 <= score.score <= 5 for score in result.scores)
    assert result.model == MODEL
    prompt = fake_gemini.generate_requests()[0]["contents"][0]["parts"][0]["text"]
    assert "candidate: Speed." in prompt


async def test_retry_after_is_waited_exactly_then_the_call_succeeds(
    gemini: GeminiAI, fake_gemini: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    fake_gemini.script(Fault.status(429, retry_after="0.3"))
    with caplog.at_level(logging.WARNING, logger="services.platform.retry"):
        assert len(await gemini.generate_questions(QUESTIONS)) == 2
    assert len(fake_gemini.requests) == 2
    assert fake_gemini.gaps()[0] >= 0.3
    assert caplog.records[0].getMessage() == (
        "attempt 1/3 failed for generate questions, retrying in 0.30s"
    )


async def test_server_errors_are_retried_with_growing_waits(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script(Fault.status(503), Fault.status(500))
    assert await gemini.generate_questions(QUESTIONS)
    first, second = fake_gemini.gaps()
    assert first >= 0.05
    assert second >= 0.10
    assert second > first


async def test_retried_then_failed_is_upstream_unavailable(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.fail_always(Fault.status(503))
    with pytest.raises(ServiceError) as raised:
        await gemini.generate_questions(QUESTIONS)
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_gemini.requests) == 3


@pytest.mark.parametrize("code", [400, 403, 404])
async def test_client_errors_are_not_retried(
    gemini: GeminiAI, fake_gemini: FakeGemini, code: int
) -> None:
    fake_gemini.script(Fault.status(code))
    with pytest.raises(ServiceError) as raised:
        await gemini.generate_questions(QUESTIONS)
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_gemini.requests) == 1


async def test_a_response_slower_than_the_timeout_is_retried(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script(Fault.slow(2.0))  # the client gives up after 0.5 s
    assert await gemini.generate_questions(QUESTIONS)
    assert len(fake_gemini.requests) == 2
    assert 0.5 <= fake_gemini.gaps()[0] < 2.0


async def test_a_malformed_body_fails_cleanly_without_retries(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script(Fault.malformed())
    with pytest.raises(ServiceError) as raised:
        await gemini.generate_questions(QUESTIONS)
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_gemini.requests) == 1


@pytest.mark.parametrize("body", [b'{"candidates": [5]}', b'{"candidates": [{"finishReason": 7}]}'])
async def test_a_wrongly_shaped_body_fails_cleanly_without_retries(
    gemini: GeminiAI, fake_gemini: FakeGemini, body: bytes
) -> None:
    # Valid JSON the SDK's converters trip over with TypeError or AttributeError, not
    # ValueError: still a malformed answer, not a crash.
    fake_gemini.fail_always(Fault.malformed(body))
    request = AssessmentRequest(
        "Backend Engineer", "Python.", ["Why Python?"], "Ada", None, [TranscriptLine("ai", "Hi")]
    )
    with pytest.raises(ServiceError) as raised:
        await gemini.assess(request)
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_gemini.requests) == 1


async def test_an_answer_outside_the_schema_fails_cleanly(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.reply({"questions": []})
    with pytest.raises(ServiceError, match="does not fit the schema"):
        await gemini.generate_questions(QUESTIONS)
    fake_gemini.reply("not json at all")
    with pytest.raises(ServiceError, match="does not fit the schema"):
        await gemini.extract_resume(ResumeInput(text="resume"))


async def test_the_fake_serves_v1_and_embeddings_for_other_callers(
    fake_gemini: FakeGemini,
) -> None:
    http = httpx.AsyncClient()
    client = genai.Client(
        api_key=API_KEY,
        http_options=types.HttpOptions(
            base_url=fake_gemini.url,
            api_version="v1",
            retry_options=types.HttpRetryOptions(attempts=1),
            httpx_async_client=http,
        ),
    )
    try:
        answer = await client.aio.models.generate_content(model=MODEL, contents="Hello")
        assert answer.text == "A fake Gemini answer."
        first = await client.aio.models.embed_content(model="embed", contents=["a", "b", "a"])
    finally:
        await http.aclose()
    assert [request.path for request in fake_gemini.requests] == [
        f"/v1/models/{MODEL}:generateContent",
        "/v1/models/embed:batchEmbedContents",
    ]
    assert first.embeddings is not None
    vectors = [embedding.values for embedding in first.embeddings]
    assert vectors[0] == vectors[2] != vectors[1]


async def test_embeddings_come_in_batches_of_100_in_order(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    texts = [f"text {n}" for n in range(250)]
    fake_gemini.script(Fault.status(503))  # the first batch is retried on its own
    vectors = await gemini.embed(texts)
    batches = [
        len(json.loads(request.body)["requests"])
        for request in fake_gemini.requests
        if request.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    ]
    assert batches == [100, 100, 100, 50]
    assert len(vectors) == 250
    assert vectors[7] == (await gemini.embed(["text 7"]))[0] != vectors[8]


async def test_too_few_embeddings_fail_cleanly_without_retries(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script(Fault.malformed(b'{"embeddings": [{"values": [0.5]}]}'))
    with pytest.raises(ServiceError) as raised:
        await gemini.embed(["one", "two"])
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_gemini.requests) == 1


async def test_embeddings_of_different_lengths_fail_cleanly_without_retries(
    gemini: GeminiAI, fake_gemini: FakeGemini
) -> None:
    # Vectors that cannot be compared with each other are a malformed answer, not a crash
    # later in the cosine similarity.
    fake_gemini.script(
        Fault.malformed(b'{"embeddings": [{"values": [0.5, 0.1]}, {"values": [0.5]}]}')
    )
    with pytest.raises(ServiceError) as raised:
        await gemini.embed(["one", "two"])
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_gemini.requests) == 1
