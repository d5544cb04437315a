"""What the interview flow asks of a language model, behind one small protocol.

Two implementations: `GeminiAI` (google-genai, structured JSON output, every call through the
retry policy) and `OfflineAI` (deterministic, no network, model "offline").
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

from services.interviews.records import AssessmentResult, ResumeProfile
from services.transcripts.turns import TranscriptTurn

OnAttempt = Callable[[int], Awaitable[None]]

RUBRIC: Final = ("communication", "technical_depth", "problem_solving", "role_fit")
RECOMMENDATIONS: Final = ("strong_hire", "hire", "no_hire", "strong_no_hire")
MAX_QUESTIONS: Final = 20


@dataclass(frozen=True, slots=True)
class ResumeInput:
    text: str | None = None
    pdf: bytes | None = None


@dataclass(frozen=True, slots=True)
class QuestionRequest:
    role_title: str
    job_description: str
    count: int
    candidate: ResumeProfile | None = None


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    speaker: str  # ai | candidate | interviewer | unknown
    text: str


@dataclass(frozen=True, slots=True)
class AssessmentRequest:
    role_title: str
    job_description: str
    questions: Sequence[str]
    candidate_name: str
    candidate: ResumeProfile | None
    transcript: Sequence[TranscriptLine]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A recruiter's question about one interview, with what the answer may draw on."""

    message: str
    # The transcript (the fallback's) in order: whole, or a long one's most relevant turns.
    turns: Sequence[TranscriptTurn]
    questions: Sequence[str]
    assessment_summary: str | None


class InterviewAI(Protocol):
    @property
    def model(self) -> str:
        """The model name recorded with everything this provider produced."""

    async def extract_resume(self, resume: ResumeInput) -> ResumeProfile: ...

    async def generate_questions(self, request: QuestionRequest) -> list[str]: ...

    async def assess(
        self, request: AssessmentRequest, *, on_attempt: OnAttempt | None = None
    ) -> AssessmentResult:
        """`on_attempt(n)` runs before each upstream attempt (the job counts them)."""

    async def chat(self, request: ChatRequest) -> str:
        """The recruiter assistant's answer to `request.message`."""

    async def aclose(self) -> None:
        """Release the provider's connections (nothing to release offline)."""


@runtime_checkable
class TextEmbedder(Protocol):
    """A provider that can embed texts (Gemini); the offline provider cannot."""

    @property
    def embedding_model(self) -> str:
        """The embedding model name, part of the cache key of stored vectors."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
