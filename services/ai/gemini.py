"""Gemini through google-genai: structured JSON answers, every call through the retry policy.

The client's own retries are switched off explicitly (`HttpRetryOptions(attempts=1)`): without
retry options google-genai's aiohttp path still retries a refused connection once after a
random 1-10 s sleep, which would multiply with ours. We also hand it our own httpx client
(its other async transport): its aiohttp path subclasses `aiohttp.ClientSession`, which aiohttp
deprecates with a warning on every new session, and with our client the timeout and the
closing are ours. Base URL and key come from the settings, so tests point the real SDK at a
local fake.
"""

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from services.ai import prompts, schemas
from services.ai.provider import (
    AssessmentRequest,
    ChatRequest,
    OnAttempt,
    QuestionRequest,
    ResumeInput,
)
from services.interviews.records import AssessmentResult, ResumeProfile
from services.platform.retry import FailureKind, RetryPolicy, UpstreamFailure
from services.platform.retry_tasks import (
    ASK_ASSISTANT,
    EMBED_TRANSCRIPT,
    EXTRACT_RESUME,
    GENERATE_ASSESSMENT,
    GENERATE_QUESTIONS,
)
from services.platform.settings import Settings
from services.platform.transport_errors import retry_after_header, transport_failure

T = TypeVar("T")

# Structured output with a response schema is documented on v1beta.
API_VERSION: Final = "v1beta"
# batchEmbedContents takes at most 100 texts per request.
EMBED_BATCH: Final = 100


def gemini_client(settings: Settings, http: httpx.AsyncClient) -> genai.Client:
    """A client with no retries of its own, sending through `http`."""
    assert settings.gemini_api_key is not None
    options = types.HttpOptions(
        base_url=settings.gemini_base_url,
        api_version=API_VERSION,
        timeout=int(settings.upstream_timeout_seconds * 1000),  # milliseconds
        retry_options=types.HttpRetryOptions(attempts=1),
        httpx_async_client=http,
    )
    return genai.Client(api_key=settings.gemini_api_key.reveal(), http_options=options)


class GeminiAI:
    def __init__(
        self,
        client: genai.Client,
        http: httpx.AsyncClient,
        *,
        model: str,
        policies: Mapping[str, RetryPolicy],
        embedding_model: str,
    ) -> None:
        self._client = client
        self._http = http
        self._model = model
        self._embedding_model = embedding_model
        self._policies = policies

    @classmethod
    def from_settings(cls, settings: Settings, policies: Mapping[str, RetryPolicy]) -> "GeminiAI":
        http = httpx.AsyncClient(timeout=settings.upstream_timeout_seconds)
        return cls(
            gemini_client(settings, http),
            http,
            model=settings.gemini_model,
            policies=policies,
            embedding_model=settings.gemini_embedding_model,
        )

    @property
    def model(self) -> str:
        return self._model

    @property
    def embedding_model(self) -> str:
        return self._embedding_model

    async def aclose(self) -> None:
        await self._http.aclose()

    async def extract_resume(self, resume: ResumeInput) -> ResumeProfile:
        contents: list[Any] = [prompts.resume_prompt(resume.text)]
        if resume.pdf is not None:
            contents.insert(0, types.Part.from_bytes(data=resume.pdf, mime_type="application/pdf"))
        return await self._generate(
            EXTRACT_RESUME, contents, schemas.RESUME_SCHEMA, schemas.read_resume
        )

    async def generate_questions(self, request: QuestionRequest) -> list[str]:
        return await self._generate(
            GENERATE_QUESTIONS,
            [prompts.questions_prompt(request)],
            schemas.QUESTIONS_SCHEMA,
            lambda answer: schemas.read_questions(answer, count=request.count),
        )

    async def assess(
        self, request: AssessmentRequest, *, on_attempt: OnAttempt | None = None
    ) -> AssessmentResult:
        return await self._generate(
            GENERATE_ASSESSMENT,
            [prompts.assessment_prompt(request)],
            schemas.ASSESSMENT_SCHEMA,
            lambda answer: schemas.read_assessment(answer, model=self._model),
            on_attempt=on_attempt,
        )

    async def chat(self, request: ChatRequest) -> str:
        return await self._generate(
            ASK_ASSISTANT, [prompts.chat_prompt(request)], schemas.CHAT_SCHEMA, schemas.read_chat
        )

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text: batchEmbedContents, up to EMBED_BATCH texts a request, each
        request through the retry policy (task `embed transcript`)."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = list(texts[start : start + EMBED_BATCH])

            async def call(batch: list[str] = batch) -> list[list[float]]:
                response = await self._upstream(
                    lambda: self._client.aio.models.embed_content(
                        model=self._embedding_model, contents=batch
                    )
                )
                found = [list(item.values or []) for item in response.embeddings or []]
                if len(found) != len(batch) or not all(found):
                    raise UpstreamFailure(
                        FailureKind.MALFORMED,
                        f"{len(found)} embeddings for {len(batch)} texts",
                    )
                if len({len(vector) for vector in found}) > 1:
                    raise UpstreamFailure(FailureKind.MALFORMED, "embeddings of different lengths")
                return found

            vectors += await self._policies[EMBED_TRANSCRIPT].run(call)
        return vectors

    async def _upstream(self, request: Callable[[], Awaitable[T]]) -> T:
        """`request()`, its failures translated into the retry policy's UpstreamFailure."""
        try:
            return await request()
        except genai_errors.APIError as error:
            headers = getattr(error.response, "headers", None)
            raise UpstreamFailure(
                FailureKind.STATUS,
                str(error.message or error.status or "error"),
                status=error.code,
                retry_after=retry_after_header(headers),
            ) from error
        except (ValueError, TypeError, AttributeError) as error:
            # A body the SDK could not parse: its converters raise these on a wrongly shaped
            # answer (`{"candidates": [5]}` is a TypeError), and a malformed answer fails at once.
            raise UpstreamFailure(FailureKind.MALFORMED, f"unreadable answer: {error}") from error
        except Exception as error:
            failure = transport_failure(error)
            if failure is None:
                raise
            raise failure from error

    async def _generate(
        self,
        task: str,
        contents: list[Any],
        schema: dict[str, Any],
        read: Callable[[Any], T],
        *,
        on_attempt: OnAttempt | None = None,
    ) -> T:
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=schema,
            temperature=0.2,
            # No tools are offered; this also keeps the SDK from logging about them per call.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )

        async def call() -> T:
            response = await self._upstream(
                lambda: self._client.aio.models.generate_content(
                    model=self._model, contents=contents, config=config
                )
            )
            try:
                return read(json.loads(response.text or ""))
            except (ValueError, schemas.MalformedAnswer) as error:
                raise UpstreamFailure(
                    FailureKind.MALFORMED, f"the answer does not fit the schema: {error}"
                ) from error

        return await self._policies[task].run(call, on_attempt=on_attempt)
