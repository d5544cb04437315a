"""Prompt text for the interview tasks. Plain functions of their inputs."""

from services.ai.provider import RECOMMENDATIONS, RUBRIC, AssessmentRequest, QuestionRequest
from services.interviews.records import ResumeProfile

RESUME_PROMPT = (
    "Extract a profile from this resume: the candidate's skills (short names such as "
    '"Python" or "PostgreSQL"), total years of professional experience (a number, or null if '
    "the resume does not say), education entries (degree and institution), and a two-sentence "
    "summary. Answer only with JSON matching the schema."
)


def resume_prompt(text: str | None) -> str:
    if text is None:
        return RESUME_PROMPT + " The resume is the attached PDF."
    return f"{RESUME_PROMPT}\n\nResume:\n{text}"


def questions_prompt(request: QuestionRequest) -> str:
    lines = [
        f"Write exactly {request.count} interview questions for the role "
        f'"{request.role_title}". Each question is one or two sentences, specific to the job '
        "description, and answerable in a spoken interview. Mix technical depth, past "
        "experience and problem solving. Answer only with JSON matching the schema.",
        "",
        "Job description:",
        request.job_description,
    ]
    if request.candidate is not None:
        lines += ["", "Candidate profile:", _profile_text(request.candidate)]
    return "\n".join(lines)


def assessment_prompt(request: AssessmentRequest) -> str:
    transcript = "\n".join(f"{line.speaker}: {line.text}" for line in request.transcript)
    lines = [
        f'Assess the candidate {request.candidate_name} for the role "{request.role_title}" '
        "from the interview transcript below. Score each rubric criterion "
        f"({', '.join(RUBRIC)}) from 1 (poor) to 5 (excellent) with a one-sentence rationale "
        "quoting the transcript where possible; list strengths and concerns; recommend one of "
        f"{', '.join(RECOMMENDATIONS)}. Judge only what the transcript shows. Answer only with "
        "JSON matching the schema.",
        "",
        "Job description:",
        request.job_description,
        "",
        "Questions planned:",
        *(f"{n}. {question}" for n, question in enumerate(request.questions, start=1)),
    ]
    if request.candidate is not None:
        lines += ["", "Candidate profile:", _profile_text(request.candidate)]
    lines += ["", "Transcript:", transcript or "(no transcript was recorded)"]
    return "\n".join(lines)


def _profile_text(profile: ResumeProfile) -> str:
    years = (
        f"{profile.years_of_experience:g} years"
        if profile.years_of_experience is not None
        else "unknown"
    )
    return (
        f"skills: {', '.join(profile.skills) or 'none listed'}; experience: {years}; "
        f"education: {'; '.join(profile.education) or 'none listed'}; summary: {profile.summary}"
    )
