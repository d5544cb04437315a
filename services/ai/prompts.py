"""Prompt text for the interview tasks. Plain functions of their inputs."""

from typing import Final

from services.ai.provider import (
    RECOMMENDATIONS,
    RUBRIC,
    AssessmentRequest,
    ChatRequest,
    QuestionRequest,
)
from services.interviews.records import ResumeProfile
from services.transcripts.assistant import rank_turns
from services.transcripts.exports import text_line

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


# A long interview sends only its most relevant turns (ranked as the offline answer ranks).
MAX_CHAT_TURNS: Final = 60


def chat_prompt(request: ChatRequest) -> str:
    turns = list(request.turns)
    if len(turns) > MAX_CHAT_TURNS:
        ranked = rank_turns(request.message, turns, request.questions, limit=MAX_CHAT_TURNS)
        turns = sorted(ranked, key=lambda turn: turn.sequence_no)
    lines = [
        "You help a recruiter review one job interview. Answer the recruiter's question from "
        "the transcript, the planned questions and the assessment below only; quote the "
        "transcript lines (with their [HH:MM:SS] times) that support the answer, and say so "
        "when the transcript does not answer it. Answer only with JSON matching the schema.",
        "",
        "Questions planned:",
        *(f"{n}. {question}" for n, question in enumerate(request.questions, start=1)),
        "",
        "Assessment summary:",
        request.assessment_summary or "(none yet)",
        "",
        "Transcript:",
        *([text_line(turn) for turn in turns] or ["(no transcript was recorded)"]),
        "",
        "Recruiter's question:",
        request.message,
    ]
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
