"""Who may see which organisation's rows: tenancy rules as plain functions of the principal.

Platform admins (admin tokens without an organisation: operators) see every organisation. An
organisation admin (an admin token naming one, as every account's token does) and a recruiter
see only the organisation their token names, and anything outside it is reported exactly like
something that does not exist (NOT_FOUND), so ids from other organisations reveal nothing. An
agent token reaches only its one interview.
"""

from typing import Final
from uuid import UUID

from services.auth.tokens import Principal, Role
from services.errors import ErrorCode, ServiceError, bad_input

# Where an admin's candidates go when neither the token nor the input names an organisation.
DEFAULT_ORGANISATION: Final = "default"
MAX_ORGANISATION: Final = 100


def organisation_scope(principal: Principal) -> str | None:
    """The organisation slug reads are limited to; None means all (platform admins)."""
    if principal.is_platform_admin:
        return None
    if principal.role in (Role.ADMIN, Role.RECRUITER):
        if not principal.organisation or len(principal.organisation) > MAX_ORGANISATION:
            raise ServiceError(
                ErrorCode.FORBIDDEN,
                f"this {principal.role.value} token names no usable organisation (org claim)",
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
    if principal.is_platform_admin:
        return requested or DEFAULT_ORGANISATION
    own = organisation_scope(principal)
    assert own is not None
    if requested is not None and requested != own:
        raise ServiceError(
            ErrorCode.FORBIDDEN, "only platform admins act in another organisation than their own"
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
