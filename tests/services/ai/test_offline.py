"""The offline provider: deterministic, labelled "offline", sensible for local use."""

from services.ai.keywords import key_terms, skills_in
from services.ai.offline import OFFLINE_MODEL, OfflineAI
from services.ai.provider import (
    RUBRIC,
    AssessmentRequest,
    QuestionRequest,
    ResumeInput,
    TranscriptLine,
)

JOB = (
    "We are hiring a Backend Engineer to build our Python services on PostgreSQL and Redis. "
    "You will design caching, own observability and mentor others. Kubernetes is a plus."
)
RESUME = """Ada Obi - Backend developer
Seven years building APIs; 7 years of Python and 3 years of Go.
Led the move from MySQL to PostgreSQL and introduced Redis caching.
BSc Computer Science, University of Lagos
"""


def test_known_skills_are_found_in_order_of_mention() -> None:
    assert skills_in("Go, C++ and C# on Linux; some CI/CD; not Golang") == [
        "Go",
        "C++",
        "C#",
        "Linux",
        "CI/CD",
    ]
    assert key_terms(JOB, limit=5) == ["Python", "PostgreSQL", "Redis", "design", "caching"]


async def test_resume_profile_from_text() -> None:
    profile = await OfflineAI().extract_resume(ResumeInput(text=RESUME))
    assert profile.skills == ("Python", "Go", "MySQL", "PostgreSQL", "Redis", "caching")
    assert profile.years_of_experience == 7.0
    assert profile.education == ("BSc Computer Science, University of Lagos",)
    assert profile.summary.startswith("Ada Obi - Backend developer")


async def test_a_pdf_resume_offline_says_what_it_could_not_do() -> None:
    profile = await OfflineAI().extract_resume(ResumeInput(pdf=b"%PDF-1.4 12345"))
    assert profile.skills == ()
    assert "offline mode reads text resumes only" in profile.summary


async def test_questions_come_from_the_job_description_and_are_deterministic() -> None:
    request = QuestionRequest("Backend Engineer", JOB, count=7)
    first = await OfflineAI().generate_questions(request)
    assert first == await OfflineAI().generate_questions(request)
    assert len(first) == len(set(first)) == 7
    assert "Python" in first[0]
    assert "PostgreSQL" in first[1]


async def test_more_questions_than_key_terms_are_still_distinct() -> None:
    questions = await OfflineAI().generate_questions(QuestionRequest("Chef", "Cook.", count=9))
    assert len(set(questions)) == 9


def assessment(lines: list[TranscriptLine]) -> AssessmentRequest:
    return AssessmentRequest(
        role_title="Backend Engineer",
        job_description=JOB,
        questions=["How do you design caching for PostgreSQL reads?"],
        candidate_name="Ada",
        candidate=None,
        transcript=lines,
    )


async def test_an_assessment_from_transcript_statistics() -> None:
    lines = [
        TranscriptLine("ai", "How do you design caching for PostgreSQL reads?"),
        TranscriptLine(
            "candidate",
            "I measured the slow PostgreSQL reads first, because guessing wastes time. Then I "
            "added Redis caching in front of the Python services, with a trade-off between "
            "staleness and load, and I tested the design under production traffic.",
        ),
    ]
    attempts: list[int] = []

    async def count(number: int) -> None:
        attempts.append(number)

    result = await OfflineAI().assess(assessment(lines), on_attempt=count)
    assert attempts == [1]
    assert result.model == OFFLINE_MODEL
    assert [score.criterion for score in result.scores] == list(RUBRIC)
    by_name = {score.criterion: score.score for score in result.scores}
    assert by_name["problem_solving"] >= 3  # because, measured, trade-off, tested, design
    assert by_name["role_fit"] >= 3
    assert result.summary.startswith("Offline assessment from transcript statistics")
    assert result == await OfflineAI().assess(assessment(lines))


async def test_no_candidate_speech_scores_lowest() -> None:
    result = await OfflineAI().assess(assessment([TranscriptLine("ai", "Hello?")]))
    assert {score.score for score in result.scores} == {1}
    assert result.recommendation == "strong_no_hire"
    assert len(result.concerns) == len(RUBRIC)
