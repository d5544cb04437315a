"""Signed bearer tokens (JWT, HS256) carrying a role, an optional organisation and an expiry."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Final
from uuid import UUID

import jwt

from services.errors import ErrorCode, ServiceError
from services.platform.settings import Secret

ALGORITHM: Final = "HS256"
ISSUER: Final = "insighta"
# Tokens issued to accounts name their user as `user:<uuid>`; operator tokens (`insighta
# token`) and agent tokens name something else and carry no user id.
USER_SUBJECT_PREFIX: Final = "user:"
EXPIRED_MESSAGE: Final = "the token has expired: get a new one"


class Role(Enum):
    ADMIN = "admin"
    ANALYST = "analyst"
    RECRUITER = "recruiter"
    # The AI interviewer agent: a token scoped to one interview (`interview` claim), issued
    # when its session starts, good for appending that interview's transcript turns.
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the verified content of a token."""

    subject: str
    role: Role
    organisation: str | None
    expires_at: datetime
    interview: str | None = None  # the one interview an agent token is good for
    user_id: UUID | None = None  # the account a user token belongs to

    @property
    def is_platform_admin(self) -> bool:
        """An admin token without an organisation: the operators' key to every organisation.
        An admin token naming an organisation is that organisation's admin only."""
        return self.role is Role.ADMIN and self.organisation is None


def user_subject(user_id: UUID) -> str:
    return f"{USER_SUBJECT_PREFIX}{user_id}"


def issue_token(
    key: Secret,
    *,
    role: Role,
    subject: str,
    organisation: str | None = None,
    ttl: timedelta,
    now: datetime | None = None,
    interview: str | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": subject,
        "role": role.value,
        "iat": issued,
        "exp": issued + ttl,
    }
    if organisation is not None:
        claims["org"] = organisation
    if interview is not None:
        claims["interview"] = interview
    return jwt.encode(claims, key.reveal(), algorithm=ALGORITHM)


def verify_token(key: Secret, token: str, *, now: datetime | None = None) -> Principal:
    """The principal a token proves, or UNAUTHENTICATED; only HS256 with our key is accepted."""
    try:
        claims = jwt.decode(
            token,
            key.reveal(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
            leeway=0,
        )
        # PyJWT checks only that exp is a number in the future: one past datetime's range
        # (year 9999) fails here as OverflowError, ValueError or OSError, by platform.
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
        if now is not None and expires_at <= now:
            raise jwt.ExpiredSignatureError("expired")
        role = Role(claims["role"])
        organisation = claims.get("org")
        if organisation is not None and not isinstance(organisation, str):
            raise jwt.InvalidTokenError("org must be a string")
        interview = claims.get("interview")
        if interview is not None and not isinstance(interview, str):
            raise jwt.InvalidTokenError("interview must be a string")
        user_id = _user_id(str(claims["sub"]))
    except jwt.ExpiredSignatureError:
        raise ServiceError(ErrorCode.UNAUTHENTICATED, EXPIRED_MESSAGE) from None
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError, OverflowError, OSError):
        raise ServiceError(ErrorCode.UNAUTHENTICATED, "the token is not valid") from None
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        organisation=organisation,
        expires_at=expires_at,
        interview=interview,
        user_id=user_id,
    )


def subject_user_id(subject: str) -> UUID | None:
    """The account a subject names (`user:<uuid>`), or None (operator, agent or malformed)."""
    try:
        return _user_id(subject)
    except jwt.InvalidTokenError:
        return None


def _user_id(subject: str) -> UUID | None:
    if not subject.startswith(USER_SUBJECT_PREFIX):
        return None
    try:
        return UUID(subject.removeprefix(USER_SUBJECT_PREFIX))
    except ValueError:
        raise jwt.InvalidTokenError("a user subject must name a user id") from None
