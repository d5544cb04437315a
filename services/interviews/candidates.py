"""Candidates: validated, their resume's profile extracted, stored in their organisation.

Extraction happens before anything is written: if the model is unavailable the call fails
with UPSTREAM_UNAVAILABLE and nothing half-made is left behind (repeat the call).
"""

import re
from dataclasses import dataclass
from typing import Final
from uuid import UUID

import asyncpg

from db import interviews as interviews_db
from db.pool import Connection
from services.accounts.organisations import (
    OrganisationOrigin,
    SelfServiceOrganisation,
    describe_organisation,
)
from services.ai.provider import InterviewAI, ResumeInput
from services.auth.tokens import Principal
from services.errors import ErrorCode, ServiceError, bad_input
from services.interviews.access import not_found, organisation_scope, owning_organisation
from services.interviews.records import Candidate
from services.interviews.text_rules import storable_text

MAX_NAME: Final = 200
MAX_EMAIL: Final = 254
MAX_RESUME_TEXT: Final = 100_000
MAX_RESUME_PDF_BYTES: Final = 10 * 1024 * 1024
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PDF_MAGIC: Final = b"%PDF-"


@dataclass(frozen=True, slots=True)
class NewCandidate:
    name: str
    email: str
    resume_text: str | None = None
    resume_pdf: bytes | None = None
    organisation: str | None = None  # admins may name one; recruiters get their own
    # A platform admin placing a candidate in an organisation founded by sign-up says so
    # (services/accounts/organisations.py: the slug may be a squatter's).
    confirm_self_service: bool = False


def validated(candidate: NewCandidate) -> NewCandidate:
    """Trimmed and checked; every problem names its field."""
    for field, value in (
        ("name", candidate.name),
        ("email", candidate.email),
        ("resumeText", candidate.resume_text or ""),
        ("organisation", candidate.organisation or ""),
    ):
        storable_text(value, field=field)
    name = " ".join(candidate.name.split())
    if not name:
        raise bad_input("name must not be empty", field="name")
    if len(name) > MAX_NAME:
        raise bad_input(f"name is longer than {MAX_NAME} characters", field="name")
    email = candidate.email.strip()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise bad_input(f"{candidate.email!r} is not an email address", field="email")
    text = candidate.resume_text.strip() if candidate.resume_text else None
    if text is not None and len(text) > MAX_RESUME_TEXT:
        raise bad_input(
            f"resumeText is longer than {MAX_RESUME_TEXT} characters", field="resumeText"
        )
    pdf = candidate.resume_pdf or None
    if pdf is not None:
        if len(pdf) > MAX_RESUME_PDF_BYTES:
            raise ServiceError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"the resume PDF is larger than {MAX_RESUME_PDF_BYTES} bytes",
                field="resumePdf",
            )
        if not pdf.startswith(_PDF_MAGIC):
            raise bad_input("the resume file is not a PDF", field="resumePdf")
    return NewCandidate(
        name, email, text or None, pdf, candidate.organisation, candidate.confirm_self_service
    )


async def create_candidate(
    pool: asyncpg.Pool, ai: InterviewAI, principal: Principal, candidate: NewCandidate
) -> Candidate:
    candidate = validated(candidate)
    organisation = owning_organisation(principal, candidate.organisation)
    profile = None
    if candidate.resume_text is not None or candidate.resume_pdf is not None:
        profile = await ai.extract_resume(
            ResumeInput(text=candidate.resume_text, pdf=candidate.resume_pdf)
        )
    async with pool.acquire() as conn, conn.transaction():
        organisation_id = await interviews_db.ensure_organisation(conn, organisation)
        if principal.is_platform_admin:  # after ensuring: a sign-up racing us is seen too
            await _check_self_service(conn, organisation, candidate.confirm_self_service)
        row = await interviews_db.insert_candidate(
            conn,
            organisation_id=organisation_id,
            name=candidate.name,
            email=candidate.email,
            resume_text=candidate.resume_text,
            resume_pdf=candidate.resume_pdf,
            profile=profile.to_json() if profile else None,
            profile_model=ai.model if profile else None,
            created_by=principal.subject,
        )
    return Candidate.from_row(row)


async def _check_self_service(conn: Connection, slug: str, confirmed: bool) -> None:
    """A new slug becomes an operator-created organisation; an existing self-service one is
    refused unless the platform admin confirmed they mean it."""
    existing = await describe_organisation(conn, slug)
    if existing is not None and existing.origin is OrganisationOrigin.SIGN_UP and not confirmed:
        raise SelfServiceOrganisation(existing, confirm_with="set confirmSelfService: true")


async def get_candidate(pool: asyncpg.Pool, principal: Principal, candidate_id: UUID) -> Candidate:
    scope = organisation_scope(principal)
    async with pool.acquire() as conn:
        row = await interviews_db.get_candidate(conn, candidate_id, scope=scope)
    if row is None:
        raise not_found("candidate", candidate_id)
    return Candidate.from_row(row)
