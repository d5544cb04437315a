"""The offline provider: deterministic answers with no network, labelled model "offline".

Questions come from the job description's key terms, the resume profile from known skills
and simple patterns, and the assessment from transcript statistics (how much the candidate
said, which key terms and reasoning words they used). Useful for development and tests; it
judges nothing the way a language model would, and says so in every summary.
"""

import re
from typing import Final

from services.ai.keywords import key_terms, skills_in, words_in
from services.ai.provider import (
    RUBRIC,
    AssessmentRequest,
    ChatRequest,
    OnAttempt,
    QuestionRequest,
    ResumeInput,
)
from services.interviews.records import AssessmentResult, ResumeProfile, Score
from services.transcripts.assistant import answer_offline

OFFLINE_MODEL: Final = "offline"

_TEMPLATES: Final = (
    "Tell me about a project where you used {term}. What was your part, and how did it turn out?",
    "How would you approach {term} in your first months as {role}?",
    "Describe a hard problem involving {term} that you solved. Which trade-offs did you weigh?",
    "What does good {term} look like to you, and how do you keep it that way under pressure?",
    "If {term} went wrong in production, how would you find the cause and fix it?",
)
_GENERIC: Final = (
    "What drew you to the {role} role, and what would you want to achieve in your first year?",
    "Tell me about a time you disagreed with a colleague on a technical decision as {role}.",
    "Which accomplishment are you proudest of, and what would you do differently today?",
    "How do you learn a new tool or domain quickly? Give a recent example.",
)
_REASONING: Final = frozenset(
    (
        "because", "trade-off", "tradeoff", "tradeoffs", "trade-offs", "approach", "measured",
        "measure", "debug", "debugged", "tested", "test", "design", "designed", "instead",
        "profiled", "benchmark", "benchmarked", "root", "cause", "why", "hypothesis", "prioritised",
        "prioritized",
    )
)  # fmt: skip
_YEARS: Final = re.compile(r"(\d{1,2})(?:\.\d)?\s*\+?\s*(?:years|yrs)\b", re.IGNORECASE)
_EDUCATION: Final = re.compile(
    r"\b(bachelor|master|ph\.?d|doctorate|b\.?sc|m\.?sc|b\.?a\b|m\.?a\b|mba|b\.?eng|m\.?eng|"
    r"university|college|degree|diploma)",
    re.IGNORECASE,
)
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+")


class OfflineAI:
    @property
    def model(self) -> str:
        return OFFLINE_MODEL

    async def aclose(self) -> None:
        return None

    async def extract_resume(self, resume: ResumeInput) -> ResumeProfile:
        if resume.text is None:
            size = len(resume.pdf or b"")
            return ResumeProfile(
                skills=(),
                years_of_experience=None,
                education=(),
                summary=f"PDF resume of {size} bytes stored; offline mode reads text resumes only.",
            )
        text = resume.text
        years = [int(match.group(1)) for match in _YEARS.finditer(text)]
        lines = [" ".join(line.split()) for line in text.splitlines()]
        education = [line for line in lines if line and _EDUCATION.search(line)]
        flat = " ".join(text.split())
        summary = " ".join(_SENTENCE_END.split(flat)[:2])[:300]
        return ResumeProfile(
            skills=tuple(skills_in(text)),
            years_of_experience=float(max(years)) if years else None,
            education=tuple(education[:10]),
            summary=summary,
        )

    async def generate_questions(self, request: QuestionRequest) -> list[str]:
        role = request.role_title
        terms = key_terms(request.job_description, limit=request.count)
        questions = [
            _TEMPLATES[index % len(_TEMPLATES)].format(term=term, role=role)
            for index, term in enumerate(terms)
        ]
        generic = iter(_GENERIC)
        while len(questions) < request.count:
            template = next(generic, None)
            if template is None:
                questions.append(
                    f"What else should we know about you for the {role} role? "
                    f"(question {len(questions) + 1})"
                )
            else:
                questions.append(template.format(role=role))
        return questions[: request.count]

    async def chat(self, request: ChatRequest) -> str:
        """The extractive answer: the most relevant turns quoted, deterministic."""
        return answer_offline(
            request.message, request.turns, request.questions, request.assessment_summary
        ).text

    async def assess(
        self, request: AssessmentRequest, *, on_attempt: OnAttempt | None = None
    ) -> AssessmentResult:
        if on_attempt is not None:
            await on_attempt(1)
        answers = [line.text for line in request.transcript if line.speaker == "candidate"]
        spoken = " ".join(answers)
        words = spoken.split()
        per_answer = len(words) / len(answers) if answers else 0.0
        job_terms = key_terms(request.job_description, limit=12)
        said = set(words_in(spoken)) | {skill.lower() for skill in skills_in(spoken)}
        terms_hit = [term for term in job_terms if term.lower() in said]
        question_words = {word for question in request.questions for word in words_in(question)}
        coverage = len(question_words & said) / len(question_words) if question_words else 0.0
        reasoning = sum(1 for word in spoken.lower().split() if word.strip(".,;:!?") in _REASONING)

        if not answers:
            values = dict.fromkeys(RUBRIC, 1)
        else:
            values = {
                "communication": _band(per_answer, (10, 25, 60, 120)),
                "technical_depth": 1 + round(4 * len(terms_hit) / max(1, len(job_terms))),
                "problem_solving": min(5, 1 + reasoning // 2),
                "role_fit": 1 + round(4 * coverage),
            }
        scores = tuple(
            Score(criterion, values[criterion], _rationale(criterion, values[criterion]))
            for criterion in RUBRIC
        )
        average = sum(values.values()) / len(values)
        return AssessmentResult(
            summary=(
                "Offline assessment from transcript statistics, not a language model: "
                f"{request.candidate_name} answered in {len(answers)} turns ({len(words)} words, "
                f"{per_answer:.0f} per answer) and used {len(terms_hit)} of {len(job_terms)} key "
                "terms from the job description."
            ),
            strengths=tuple(_rationale(s.criterion, s.score) for s in scores if s.score >= 4),
            concerns=tuple(_rationale(s.criterion, s.score) for s in scores if s.score <= 2),
            recommendation=_recommendation(average),
            scores=scores,
            model=OFFLINE_MODEL,
        )


def _band(value: float, edges: tuple[float, ...]) -> int:
    """1 below the first edge, 2 below the second, ..., 5 from the last edge on."""
    return 1 + sum(1 for edge in edges if value >= edge)


def _rationale(criterion: str, score: int) -> str:
    level = {1: "very little", 2: "little", 3: "some", 4: "good", 5: "strong"}[score]
    what = {
        "communication": "answer length and detail",
        "technical_depth": "use of the job's key terms",
        "problem_solving": "reasoning words (because, trade-off, measured, ...)",
        "role_fit": "coverage of the planned questions",
    }[criterion]
    return f"{criterion.replace('_', ' ')}: {level} evidence from {what}"


def _recommendation(average: float) -> str:
    if average >= 4.25:
        return "strong_hire"
    if average >= 3.25:
        return "hire"
    if average >= 2.0:
        return "no_hire"
    return "strong_no_hire"
