"""Account inputs, turned into service dataclasses at the edge (the services check them)."""

import strawberry

from services.accounts.signup import NewAccount


@strawberry.input(
    description="A new account. Without `invitationToken` it founds an organisation and is its "
    "admin; with one it joins the inviting organisation with the invited role."
)
class SignUpInput:
    email: str
    password: str = strawberry.field(description="10..256 characters")
    name: str | None = strawberry.field(
        default=None, description="Defaults to the email address's local part"
    )
    organisation_name: str | None = strawberry.field(
        default=None,
        description="The organisation to found (ignored with an invitation); defaults to the "
        "email domain. Its slug, the `org` of your tokens, is made from it and made unique.",
    )
    invitation_token: str | None = strawberry.field(
        default=None, description="The token from an invitation email"
    )

    def to_new_account(self) -> NewAccount:
        return NewAccount(
            email=self.email,
            password=self.password,
            name=self.name,
            organisation_name=self.organisation_name,
            invitation_token=self.invitation_token,
        )
