"""Account values: plain frozen dataclasses and enums, built from database rows."""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Self
from uuid import UUID

from services.auth.tokens import Role
from services.platform.rows import Row


class UserRole(Enum):
    """The roles an account can hold (agents are tokens, never accounts)."""

    ADMIN = "admin"
    RECRUITER = "recruiter"
    ANALYST = "analyst"

    @property
    def token_role(self) -> Role:
        return Role(self.value)


@dataclass(frozen=True, slots=True)
class Organisation:
    id: UUID
    slug: str
    name: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        """From a row with `organisation_*` columns (users and invitations joined to theirs)."""
        return cls(
            id=row["organisation_id"],
            slug=row["organisation_slug"],
            name=row["organisation_name"],
            created_at=row["organisation_created_at"],
        )


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    email: str
    name: str
    role: UserRole
    active: bool
    organisation: Organisation
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            role=UserRole(row["role"]),
            active=row["is_active"],
            organisation=Organisation.from_row(row),
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Invitation:
    id: UUID
    email: str
    role: UserRole
    organisation: Organisation
    expires_at: datetime
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            email=row["email"],
            role=UserRole(row["role"]),
            organisation=Organisation.from_row(row),
            expires_at=row["expires_at"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session: a short-lived access token (JWT) and the refresh token that renews it."""

    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    user: User

    def __repr__(self) -> str:
        return f"SignedIn(user={self.user.id}, tokens='**********')"
