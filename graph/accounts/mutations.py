"""Account mutations: sign-up, sessions, password resets, invitations, enabling accounts."""

import typing

import strawberry
from strawberry.types import Info

from graph.accounts.enums import UserRole
from graph.accounts.inputs import SignUpInput
from graph.accounts.types import AuthPayload, GitHubSignIn, Invitation, User
from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted, require_principal
from services.accounts import github_signin, invitations, password_resets, sessions, signup, users


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Create an account and sign in (no token needed). Without an invitation "
        "the account founds an organisation and is its admin. A taken email or a weak password "
        "is BAD_USER_INPUT naming the field.",
    )
    async def sign_up(self, info: Info[Context, None], input: SignUpInput) -> AuthPayload:
        session = await signup.sign_up(info.context.accounts, input.to_new_account())
        return AuthPayload.from_domain(session)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Sign in (no token needed). A wrong email or password is UNAUTHENTICATED "
        'with one message, "invalid email or password".',
    )
    async def login(self, info: Info[Context, None], email: str, password: str) -> AuthPayload:
        return AuthPayload.from_domain(await sessions.login(info.context.accounts, email, password))

    @strawberry.mutation(
        name="signInWithGitHub",
        permission_classes=[Permitted],
        description="Finish a Sign in with GitHub that a client ran itself (the CLI): trade "
        "GitHub's `code` and the PKCE `codeVerifier` for a session. `redirectUri` must be the "
        "loopback address the client gave GitHub. The first sign-in creates the account as "
        "`signUp` would (founding an organisation, or joining by `invitationToken`); an "
        "address that already has a password account is BAD_USER_INPUT. GitHub refusing the "
        "code or verifier is UNAUTHENTICATED; unconfigured, NOT_FOUND.",
    )
    async def sign_in_with_github(
        self,
        info: Info[Context, None],
        code: str,
        code_verifier: str,
        redirect_uri: str,
        invitation_token: str | None = None,
    ) -> GitHubSignIn:
        github_signin.check_loopback_redirect(redirect_uri)
        signed_in = await github_signin.exchange_and_sign_in(
            info.context.accounts,
            code=code,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
            invitation_token=invitation_token,
        )
        return GitHubSignIn.from_domain(signed_in)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Trade a refresh token for a new access and refresh token (no access token "
        "needed). Each refresh token works once; presenting a used one again revokes its whole "
        "sign-in (UNAUTHENTICATED).",
    )
    async def refresh_token(self, info: Info[Context, None], refresh_token: str) -> AuthPayload:
        session = await sessions.refresh_session(info.context.accounts, refresh_token)
        return AuthPayload.from_domain(session)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="End the sign-in this refresh token belongs to: its refresh tokens stop "
        "working (access tokens run out within their short lifetime). Always true.",
    )
    async def logout(self, info: Info[Context, None], refresh_token: str) -> bool:
        await sessions.logout(info.context.accounts, refresh_token)
        return True

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Email a single-use password reset link if the address has an account. "
        "The answer (true) and its timing are the same whether or not it has one.",
    )
    async def request_password_reset(self, info: Info[Context, None], email: str) -> bool:
        await password_resets.request_password_reset(info.context.accounts, email)
        return True

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Set a new password with the token from a reset email; the token is used "
        "up and every refresh token of the account revoked. Then sign in.",
    )
    async def reset_password(
        self, info: Info[Context, None], token: str, new_password: str
    ) -> bool:
        await password_resets.reset_password(info.context.accounts, token, new_password)
        return True

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Admins: invite someone by email into the organisation (an organisation "
        "admin's own; a platform admin names an existing one with `organisation`, a slug: "
        "NOT_FOUND if none has it). The email carries a single-use link that expires.",
    )
    async def invite_user(
        self,
        info: Info[Context, None],
        email: str,
        role: UserRole,
        organisation: str | None = None,
        confirm_self_service: typing.Annotated[
            bool,
            strawberry.argument(
                description="Platform admins: invite into an organisation founded by a "
                "self-service sign-up. Without it that is BAD_USER_INPUT naming the "
                "organisation's admins (anyone can sign up under any free slug)."
            ),
        ] = False,
    ) -> Invitation:
        invitation = await invitations.invite_user(
            info.context.accounts,
            require_principal(info.context),
            email=email,
            role=role,
            organisation=organisation,
            confirm_self_service=confirm_self_service,
        )
        return Invitation.from_domain(invitation)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Admins: enable or disable an account of their organisation (another "
        "organisation's user is NOT_FOUND). A disabled account is refused everywhere and its "
        "refresh tokens are revoked.",
    )
    async def set_user_active(
        self, info: Info[Context, None], user_id: strawberry.ID, active: bool
    ) -> User:
        user = await users.set_user_active(
            info.context.accounts,
            require_principal(info.context),
            parse_id(user_id, field="userId", kind="user"),
            active=active,
        )
        return User.from_domain(user)
