"""Response schemas for Gemini's structured output, and strict readers for what comes back.

A model can still answer something else (a truncated body, a missing field); the readers
raise `MalformedAnswer` then, which the adapter reports as a malformed upstream answer.
"""

from typing import Any, Final

from services.ai.provider import RECOMMENDATIONS, RUBRIC
from services.interviews.records import AssessmentResult, ResumeProfile, Score

MAX_ITEMS: Final = 50
MAX_TEXT: Final = 4000


class MalformedAnswer(ValueError):
    pass


QUESTIONS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "questions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["questions"],
}

RESUME_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "skills": {"type": "array", "items": {"type": "string"}},
        "years_of_experience": {"type": "number", "minimum": 0, "maximum": 70, "nullable": True},
        "education": {"type": "array", "items": {"type": "string"}},
        "summary": {"type": "string"},
    },
    "required": ["skills", "years_of_experience", "education", "summary"],
}

ASSESSMENT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "strengths": {"type": "array", "items": {"type": "string"}},
        "concerns": {"type": "array", "items": {"type": "string"}},
        "recommendation": {"type": "string", "enum": list(RECOMMENDATIONS)},
        "scores": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "criterion": {"type": "string", "enum": list(RUBRIC)},
                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                    "rationale": {"type": "string"},
                },
                "required": ["criterion", "score", "rationale"],
            },
            "minItems": len(RUBRIC),
            "maxItems": len(RUBRIC),
        },
    },
    "required": ["summary", "strengths", "concerns", "recommendation", "scores"],
}

CHAT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}


def read_chat(answer: Any) -> str:
    """The assistant's answer text; an empty one is malformed."""
    text = _text(_field(answer, "answer"))
    if not text:
        raise MalformedAnswer("the answer is empty")
    return text


def read_questions(answer: Any, *, count: int) -> list[str]:
    """At most `count` non-empty questions; none at all is malformed."""
    questions = [text for text in _strings(_field(answer, "questions")) if text]
    if not questions:
        raise MalformedAnswer("the answer holds no questions")
    return questions[:count]


def read_resume(answer: Any) -> ResumeProfile:
    years = _field(answer, "years_of_experience")
    if years is not None and (
        isinstance(years, bool) or not isinstance(years, int | float) or not 0 <= years <= 70
    ):
        raise MalformedAnswer(f"years_of_experience {years!r} is not a number of years")
    return ResumeProfile(
        skills=tuple(_strings(_field(answer, "skills"))),
        years_of_experience=float(years) if years is not None else None,
        education=tuple(_strings(_field(answer, "education"))),
        summary=_text(_field(answer, "summary")),
    )


def read_assessment(answer: Any, *, model: str) -> AssessmentResult:
    recommendation = _text(_field(answer, "recommendation"))
    if recommendation not in RECOMMENDATIONS:
        raise MalformedAnswer(f"recommendation {recommendation!r} is not one of {RECOMMENDATIONS}")
    scores = _field(answer, "scores")
    if not isinstance(scores, list):
        raise MalformedAnswer("scores is not a list")
    by_criterion: dict[str, Score] = {}
    for item in scores:
        criterion = _text(_field(item, "criterion"))
        score = _field(item, "score")
        if criterion not in RUBRIC:
            raise MalformedAnswer(f"criterion {criterion!r} is not in the rubric")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise MalformedAnswer(f"score {score!r} for {criterion} is not 1..5")
        by_criterion[criterion] = Score(criterion, score, _text(_field(item, "rationale")))
    missing = [criterion for criterion in RUBRIC if criterion not in by_criterion]
    if missing:
        raise MalformedAnswer(f"no score for {', '.join(missing)}")
    return AssessmentResult(
        summary=_text(_field(answer, "summary")),
        strengths=tuple(_strings(_field(answer, "strengths"))),
        concerns=tuple(_strings(_field(answer, "concerns"))),
        recommendation=recommendation,
        scores=tuple(by_criterion[criterion] for criterion in RUBRIC),
        model=model,
    )


def _field(answer: Any, name: str) -> Any:
    if not isinstance(answer, dict) or name not in answer:
        raise MalformedAnswer(f"the answer has no {name!r}")
    return answer[name]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedAnswer(f"{value!r} is not text")
    # PostgreSQL text and jsonb cannot hold a NUL or a lone surrogate: the store would crash.
    if "\x00" in value:
        raise MalformedAnswer("the text contains a NUL character")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise MalformedAnswer("the text is not valid Unicode (a lone surrogate)") from None
    return value.strip()[:MAX_TEXT]


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise MalformedAnswer(f"{value!r} is not a list")
    return [_text(item) for item in value[:MAX_ITEMS]]
