"""Thin GraphQL views of accounts."""

from datetime import datetime
from typing import Self

import strawberry

from graph.accounts.enums import OrganisationOrigin, UserRole
from services.accounts import github_signin, records
from services.accounts.invitations import SentInvitation


@strawberry.type(description="A user account in one organisation.")
class User:
    id: strawberry.ID
    email: str
    name: str
    role: UserRole
    active: bool = strawberry.field(description="A disabled account is refused everywhere")
    organisation: str = strawberry.field(
        description="The organisation's slug: the `org` claim of the account's tokens"
    )
    organisation_name: str
    created_at: datetime

    @classmethod
    def from_domain(cls, user: records.User) -> Self:
        return cls(
            id=strawberry.ID(str(user.id)),
            email=user.email,
            name=user.name,
            role=user.role,
            active=user.active,
            organisation=user.organisation.slug,
            organisation_name=user.organisation.name,
            created_at=user.created_at,
        )


@strawberry.type(
    description="A signed-in session: send `accessToken` as `Authorization: Bearer <token>`; "
    "before it expires, trade `refreshToken` for a new pair with `refreshToken` (each refresh "
    "token works once)."
)
class AuthPayload:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    token_type: str = strawberry.field(description='Always "Bearer"')
    user: User

    @classmethod
    def from_domain(cls, session: records.SignedIn) -> Self:
        return cls(
            access_token=session.access_token,
            access_token_expires_at=session.access_token_expires_at,
            refresh_token=session.refresh_token,
            refresh_token_expires_at=session.refresh_token_expires_at,
            token_type="Bearer",
            user=User.from_domain(session.user),
        )


@strawberry.type(
    name="GitHubSignIn",
    description="A session opened by Sign in with GitHub, and the GitHub account behind it.",
)
class GitHubSignIn:
    session: AuthPayload
    github_login: str = strawberry.field(description="The GitHub username (login)")
    created: bool = strawberry.field(description="True when this sign-in created the account")

    @classmethod
    def from_domain(cls, signed_in: github_signin.GitHubSignIn) -> Self:
        return cls(
            session=AuthPayload.from_domain(signed_in.session),
            github_login=signed_in.github_login,
            created=signed_in.created,
        )


@strawberry.type(description="An invitation into an organisation, sent by email.")
class Invitation:
    id: strawberry.ID
    email: str
    role: UserRole
    organisation: str = strawberry.field(description="The organisation's slug")
    organisation_name: str
    organisation_origin: OrganisationOrigin = strawberry.field(
        description="How the organisation came to be: check that it is the one you mean"
    )
    organisation_admins: list[str] = strawberry.field(
        description="The email addresses of the organisation's active admins, oldest first"
    )
    expires_at: datetime
    created_at: datetime

    @classmethod
    def from_domain(cls, sent: SentInvitation) -> Self:
        invitation = sent.invitation
        return cls(
            id=strawberry.ID(str(invitation.id)),
            email=invitation.email,
            role=invitation.role,
            organisation=invitation.organisation.slug,
            organisation_name=invitation.organisation.name,
            organisation_origin=sent.organisation.origin,
            organisation_admins=list(sent.organisation.admin_emails),
            expires_at=invitation.expires_at,
            created_at=invitation.created_at,
        )
