"""Interviews: created with generated questions, read within the caller's organisation, and
their invitation queued in the email outbox (sent once, durably, by the worker)."""

from dataclasses import dataclass
from typing import Final
from uuid import UUID

import asyncpg

from db import emails as emails_db
from db import interviews as interviews_db
from db.pool import Connection
from services.ai.provider import MAX_QUESTIONS, InterviewAI, QuestionRequest
from services.auth.tokens import Principal
from services.email.outbox import queue_email
from services.email.templates import invite_email
from services.errors import bad_input
from services.interviews.access import not_found, organisation_scope
from services.interviews.candidates import get_candidate
from services.interviews.records import Interview, InterviewStatus
from services.interviews.text_rules import storable_text

MAX_ROLE_TITLE: Final = 200
MAX_JOB_DESCRIPTION: Final = 20_000
DEFAULT_QUESTION_COUNT: Final = 5

# Statuses from which an invitation moves the interview to SCHEDULED.
_BEFORE_SCHEDULED: Final = (InterviewStatus.DRAFT.value,)
_CLOSED: Final = frozenset({InterviewStatus.CANCELLED})
# An interview that took place is not cancelled afterwards: its transcript and assessment stand.
_CANCELLABLE: Final = (
    InterviewStatus.DRAFT.value,
    InterviewStatus.SCHEDULED.value,
    InterviewStatus.IN_PROGRESS.value,
)


@dataclass(frozen=True, slots=True)
class NewInterview:
    candidate_id: UUID
    role_title: str
    job_description: str
    question_count: int = DEFAULT_QUESTION_COUNT


def validated(interview: NewInterview) -> NewInterview:
    storable_text(interview.role_title, field="roleTitle")
    storable_text(interview.job_description, field="jobDescription")
    title = " ".join(interview.role_title.split())
    if not title:
        raise bad_input("roleTitle must not be empty", field="roleTitle")
    if len(title) > MAX_ROLE_TITLE:
        raise bad_input(f"roleTitle is longer than {MAX_ROLE_TITLE} characters", field="roleTitle")
    description = interview.job_description.strip()
    if not description:
        raise bad_input("jobDescription must not be empty", field="jobDescription")
    if len(description) > MAX_JOB_DESCRIPTION:
        raise bad_input(
            f"jobDescription is longer than {MAX_JOB_DESCRIPTION} characters",
            field="jobDescription",
        )
    if not 1 <= interview.question_count <= MAX_QUESTIONS:
        raise bad_input(f"questionCount must be 1..{MAX_QUESTIONS}", field="questionCount")
    return NewInterview(interview.candidate_id, title, description, interview.question_count)


async def create_interview(
    pool: asyncpg.Pool, ai: InterviewAI, principal: Principal, interview: NewInterview
) -> Interview:
    """Questions are generated first; nothing is stored if the model is unavailable."""
    interview = validated(interview)
    candidate = await get_candidate(pool, principal, interview.candidate_id)
    questions = await ai.generate_questions(
        QuestionRequest(
            role_title=interview.role_title,
            job_description=interview.job_description,
            count=interview.question_count,
            candidate=candidate.profile,
        )
    )
    async with pool.acquire() as conn:
        row = await interviews_db.insert_interview(
            conn,
            organisation_id=candidate.organisation_id,
            candidate_id=candidate.id,
            role_title=interview.role_title,
            job_description=interview.job_description,
            questions=questions,
            questions_model=ai.model,
            created_by=principal.subject,
        )
    return Interview.from_row(row)


async def get_interview(pool: asyncpg.Pool, principal: Principal, interview_id: UUID) -> Interview:
    scope = organisation_scope(principal)
    async with pool.acquire() as conn:
        row = await interviews_db.get_interview(conn, interview_id, scope=scope)
    if row is None:
        raise not_found("interview", interview_id)
    return Interview.from_row(row)


async def lock_interview(conn: Connection, interview_id: UUID, *, scope: str | None) -> Interview:
    """The interview, row-locked for this transaction; NOT_FOUND outside the scope."""
    row = await interviews_db.get_interview(conn, interview_id, scope=scope, for_update=True)
    if row is None:
        raise not_found("interview", interview_id)
    return Interview.from_row(row)


def invite_key(interview_id: UUID) -> str:
    """One invitation per interview: sending again is the same email, not a second one."""
    return f"interview-invite:{interview_id}"


async def send_invite(
    pool: asyncpg.Pool, principal: Principal, interview_id: UUID, *, join_url_template: str
) -> Interview:
    """Queue the invitation (once per interview; a FAILED one is queued again)."""
    scope = organisation_scope(principal)
    async with pool.acquire() as conn, conn.transaction():
        interview = await lock_interview(conn, interview_id, scope=scope)
        if interview.status in _CLOSED:
            raise bad_input("the interview is cancelled", field="interviewId")
        candidate_row = await interviews_db.get_candidate(conn, interview.candidate_id, scope=None)
        organisation = await interviews_db.get_organisation_slug(conn, interview.organisation_id)
        assert candidate_row is not None
        content = invite_email(
            to=candidate_row["email"],
            candidate_name=candidate_row["name"],
            role_title=interview.role_title,
            organisation=organisation,
            join_url=join_url_template.replace("{interview_id}", str(interview.id)),
        )
        await queue_email(
            conn,
            content,
            idempotency_key=invite_key(interview.id),
            organisation_id=interview.organisation_id,
            interview_id=interview.id,
        )
        await interviews_db.update_interview_status(
            conn, interview.id, InterviewStatus.SCHEDULED.value, only_from=_BEFORE_SCHEDULED
        )
        row = await interviews_db.get_interview(conn, interview.id, scope=None)
    assert row is not None
    return Interview.from_row(row)


async def cancel_interview(
    pool: asyncpg.Pool, principal: Principal, interview_id: UUID
) -> Interview:
    """Cancel an interview that has not taken place: its queued invitation is withdrawn, live
    transcript followers end, and sessions, turns and invitations are refused from now on.
    Cancelling again is harmless; a completed interview is BAD_USER_INPUT."""
    scope = organisation_scope(principal)
    async with pool.acquire() as conn, conn.transaction():
        interview = await lock_interview(conn, interview_id, scope=scope)
        if interview.status is InterviewStatus.CANCELLED:
            return interview
        if interview.status.value not in _CANCELLABLE:
            raise bad_input(
                f"the interview is {interview.status.value}: only one that has not taken place "
                "can be cancelled",
                field="interviewId",
            )
        await interviews_db.update_interview_status(
            conn, interview.id, InterviewStatus.CANCELLED.value, only_from=_CANCELLABLE
        )
        await emails_db.withdraw_queued_emails(
            conn, interview.id, reason="the interview was cancelled"
        )
        await interviews_db.notify_turns_changed(conn, interview.id)  # live followers end
        row = await interviews_db.get_interview(conn, interview.id, scope=None)
    assert row is not None
    return Interview.from_row(row)
