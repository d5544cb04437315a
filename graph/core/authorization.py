"""Who may call which operation: the one permission table, as data.

Every root field (query, mutation, subscription) has a row here, keyed by its GraphQL name,
and every root field carries the `Permitted` permission class, which looks its row up. A field
without a row is refused (and logged), and tests/graph/core/test_authorization.py, which walks the
schema, fails naming it: adding an operation means adding its row here, nowhere else.

A row says which roles may call the operation and how far its reach goes (`Scope`):

- PUBLIC: no token needed (signing up and in, renewing or ending a session, password resets).
- SELF: the caller's own account.
- SHARED: the profiles dataset, the same for every organisation.
- ORGANISATION: rows owned by one organisation. Recruiters and organisation admins (admin
  tokens naming an organisation, as every account's token does) reach their own only, and the
  services answer another organisation's row NOT_FOUND, exactly like a missing one; platform
  admins reach all. Agent tokens reach their one interview. `resource` names the argument that
  points at such a row, so the tests can prove the NOT_FOUND for every operation that has one.
- PLATFORM: across every organisation; platform admins only (admin tokens without an
  organisation: operators, `insighta token --role admin`).

Below the root, one more table: `PROTECTED_TYPES` are the object types that hold a
candidate's personal data or the recruiters' judgement (the candidate with email and resume,
the assessment, the invitation email), with the roles that may read them. An agent token may
call operations that answer an `Interview` (`completeInterviewSession`), so every field that
leads from another type into a protected one has a row in `FIELD_PERMISSIONS` and carries
the `FieldPermitted` class: an agent asking for `candidate` gets FORBIDDEN on that field, not
the candidate. tests/graph/core/test_authorization.py walks the schema to prove no such field lacks
its row.
"""

import logging
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

from services.auth.tokens import Principal, Role
from services.errors import ErrorCode, ServiceError

logger = logging.getLogger(__name__)

TOKEN_REQUIRED: Final = "a bearer token is required: send `Authorization: Bearer <token>`"
PLATFORM_ONLY: Final = (
    "only platform admins (admin tokens without an organisation) may use {operation}"
)
ROLE_REFUSED: Final = "the {role} role may not use {operation}"
NO_RULE: Final = "{operation} has no permission rule"


class Scope(Enum):
    PUBLIC = "public"
    SELF = "self"
    SHARED = "shared"
    ORGANISATION = "organisation"
    PLATFORM = "platform"


class Resource(Enum):
    """Rows that belong to one organisation and that an operation can name by id."""

    INTERVIEW = "interview"  # and everything under it: sessions, transcripts, assessments
    CANDIDATE = "candidate"
    USER = "user"


@dataclass(frozen=True, slots=True)
class ResourceArgument:
    resource: Resource
    path: str  # the argument naming it; dotted for a field of an input ("input.candidateId")


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role]
    scope: Scope
    resource: ResourceArgument | None = None


ALL_ROLES: Final = frozenset(Role)
_ADMIN: Final = frozenset({Role.ADMIN})
_PROFILE_READERS: Final = frozenset({Role.ADMIN, Role.ANALYST})
_INTERVIEWERS: Final = frozenset({Role.ADMIN, Role.RECRUITER})
_TRANSCRIPT_WRITERS: Final = frozenset({Role.ADMIN, Role.RECRUITER, Role.AGENT})
_PUBLIC: Final = Rule(ALL_ROLES, Scope.PUBLIC)


def _owned(roles: frozenset[Role], resource: Resource | None = None, path: str = "") -> Rule:
    argument = ResourceArgument(resource, path) if resource is not None else None
    return Rule(roles, Scope.ORGANISATION, argument)


_INTERVIEW_ID: Final = (Resource.INTERVIEW, "interviewId")

PERMISSIONS: Final = MappingProxyType(
    {
        # profiles: a shared, read-only dataset
        "profiles": Rule(_PROFILE_READERS, Scope.SHARED),
        "profile": Rule(_PROFILE_READERS, Scope.SHARED),
        "interpretQuery": Rule(_PROFILE_READERS, Scope.SHARED),
        "profileStats": Rule(_PROFILE_READERS, Scope.SHARED),
        "profileExport": Rule(_PROFILE_READERS, Scope.SHARED),
        # writes to the shared profiles, like ingestProfiles: platform admins only
        "createProfile": Rule(_ADMIN, Scope.PLATFORM),
        "createProfiles": Rule(_ADMIN, Scope.PLATFORM),
        "deleteProfile": Rule(_ADMIN, Scope.PLATFORM),
        # interviews
        "interview": _owned(_INTERVIEWERS, Resource.INTERVIEW, "id"),
        "candidate": _owned(_INTERVIEWERS, Resource.CANDIDATE, "id"),
        "createCandidate": _owned(_INTERVIEWERS),
        "createInterview": _owned(_INTERVIEWERS, Resource.CANDIDATE, "input.candidateId"),
        "startInterviewSession": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "appendTranscriptTurn": _owned(_TRANSCRIPT_WRITERS, *_INTERVIEW_ID),
        "completeInterviewSession": _owned(_TRANSCRIPT_WRITERS, *_INTERVIEW_ID),
        "retryAssessment": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "sendInterviewInvite": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "cancelInterview": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "transcript": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "transcriptExport": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "transcriptUpdates": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "askInterviewAssistant": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "chatHistory": _owned(_INTERVIEWERS, *_INTERVIEW_ID),
        "emailOutbox": Rule(_ADMIN, Scope.PLATFORM),
        # ingestion writes the shared profiles, so only platform admins load files
        "ingestProfiles": Rule(_ADMIN, Scope.PLATFORM),
        "ingestionJob": Rule(_ADMIN, Scope.PLATFORM),
        "ingestionProgress": Rule(_ADMIN, Scope.PLATFORM),
        # accounts
        "signUp": _PUBLIC,
        "login": _PUBLIC,
        "signInWithGitHub": _PUBLIC,
        "refreshToken": _PUBLIC,
        "logout": _PUBLIC,
        "requestPasswordReset": _PUBLIC,
        "resetPassword": _PUBLIC,
        "me": Rule(ALL_ROLES, Scope.SELF),
        "viewer": Rule(ALL_ROLES, Scope.SELF),
        "users": _owned(_ADMIN),
        "inviteUser": _owned(_ADMIN),
        "setUserActive": _owned(_ADMIN, Resource.USER, "userId"),
    }
)


_CANDIDATE_DATA_READERS: Final = _INTERVIEWERS
PROTECTED_TYPES: Final = MappingProxyType(
    {
        "Candidate": _CANDIDATE_DATA_READERS,
        "Assessment": _CANDIDATE_DATA_READERS,
        "EmailMessage": _CANDIDATE_DATA_READERS,
    }
)
# "<parent type>.<field>" -> who may read it: every field that returns a protected type from
# an unprotected one (root fields have their rows in PERMISSIONS instead).
FIELD_PERMISSIONS: Final = MappingProxyType(
    {
        "Interview.candidate": PROTECTED_TYPES["Candidate"],
        "Interview.assessment": PROTECTED_TYPES["Assessment"],
        "Interview.invite": PROTECTED_TYPES["EmailMessage"],
    }
)
FIELD_REFUSED: Final = "the {role} role may not read {field}"


def authorize_field(field: str, principal: Principal | None) -> None:
    """Raise FORBIDDEN unless FIELD_PERMISSIONS lets `principal` read `field` ("Type.name").

    Its root field has already admitted the caller; a field without a row is refused."""
    roles = FIELD_PERMISSIONS.get(field)
    if roles is None:
        logger.error("field without a permission rule", extra={"field": field})
        raise ServiceError(ErrorCode.FORBIDDEN, NO_RULE.format(operation=field))
    if principal is None or principal.role not in roles:
        role = principal.role.value if principal is not None else "anonymous"
        raise ServiceError(ErrorCode.FORBIDDEN, FIELD_REFUSED.format(role=role, field=field))


def authorize(operation: str, principal: Principal | None, auth_error: ServiceError | None) -> None:
    """Raise UNAUTHENTICATED or FORBIDDEN unless the table lets `principal` call `operation`.

    `auth_error` says why there is no principal (bad, expired or disabled token)."""
    rule = PERMISSIONS.get(operation)
    if rule is None:
        logger.error("operation without a permission rule", extra={"operation": operation})
        raise ServiceError(ErrorCode.FORBIDDEN, NO_RULE.format(operation=operation))
    if rule.scope is Scope.PUBLIC:
        return
    if principal is None:
        raise auth_error or ServiceError(ErrorCode.UNAUTHENTICATED, TOKEN_REQUIRED)
    if principal.role not in rule.roles:
        raise ServiceError(
            ErrorCode.FORBIDDEN, ROLE_REFUSED.format(role=principal.role.value, operation=operation)
        )
    if rule.scope is Scope.PLATFORM and not principal.is_platform_admin:
        raise ServiceError(ErrorCode.FORBIDDEN, PLATFORM_ONLY.format(operation=operation))
