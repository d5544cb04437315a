"""Who may see which interviews: tenancy rules as plain functions of the principal.

Admins see every organisation; a recruiter sees only the organisation their token names, and
anything outside it is reported exactly like something that does not exist (NOT_FOUND), so
ids from other organisations reveal nothing. An agent token reaches only its one interview.
"""

from typing import Final
from uuid import UUID

from services.auth.tokens import Principal, Role
from services.errors import ErrorCode, ServiceError, bad_input

# Where an admin's candidates go when neither the token nor the input names an organisation.
DEFAULT_ORGANISATION: Final = "default"
MAX_ORGANISATION: Final = 100


def organisation_scope(principal: Principal) -> str | None:
    """The organisation slug reads are limited to; None means all (admins)."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.RECRUITER:
        if not principal.organisation or len(principal.organisation) > MAX_ORGANISATION:
            raise ServiceError(
                ErrorCode.FORBIDDEN,
                "this recruiter token names no usable organisation (org claim)",
            )
        return principal.organisation
    raise ServiceError(
        ErrorCode.FORBIDDEN, f"the {principal.role.value} role has no interview access"
    )


def owning_organisation(principal: Principal, requested: str | None) -> str:
    """The organisation a new candidate belongs to."""
    requested = requested.strip() if requested else None
    if requested is not None and len(requested) > MAX_ORGANISATION:
        raise bad_input(
            f"organisation is longer than {MAX_ORGANISATION} characters", field="organisation"
        )
    if principal.role is Role.ADMIN:
        return requested or principal.organisation or DEFAULT_ORGANISATION
    own = organisation_scope(principal)
    assert own is not None
    if requested is not None and requested != own:
        raise ServiceError(
            ErrorCode.FORBIDDEN, "recruiters create candidates in their own organisation only"
        )
    return own


def turn_writer_scope(principal: Principal, interview_id: UUID) -> str | None:
    """Scope for appending turns: admins, the interview's recruiters, or its agent token."""
    if principal.role is Role.AGENT:
        if principal.interview != str(interview_id):
            raise not_found("interview", interview_id)
        return None
    return organisation_scope(principal)


def not_found(kind: str, identifier: UUID | str) -> ServiceError:
    return ServiceError(ErrorCode.NOT_FOUND, f"no {kind} with id {identifier}")


def parse_id(value: str, *, field: str, kind: str) -> UUID:
    try:
        return UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise bad_input(f"{value!r} is not a {kind} id (a UUID)", field=field) from None
