"""Root query fields for accounts: who am I, and an organisation's users."""

import strawberry
from strawberry.types import Info

from graph.accounts.types import User
from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted, require_principal
from services.accounts import users


@strawberry.type
class AccountsQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="The account behind the token. Null for tokens that name no account "
        "(operator tokens from `insighta token`, agent tokens).",
    )
    async def me(self, info: Info[Context, None]) -> User | None:
        user = await users.current_user(info.context.accounts, require_principal(info.context))
        return User.from_domain(user) if user else None

    @strawberry.field(
        permission_classes=[Permitted],
        description=f"Admins: users in creation order, `first` 1..{users.MAX_USERS_PAGE}, "
        "those after the user id `after`. Organisation admins see their own organisation; "
        "platform admins every one, or the one `organisation` (a slug) names.",
    )
    async def users(
        self,
        info: Info[Context, None],
        organisation: str | None = None,
        first: int = 50,
        after: strawberry.ID | None = None,
    ) -> list[User]:
        found = await users.list_users(
            info.context.accounts,
            require_principal(info.context),
            organisation=organisation,
            first=first,
            after=parse_id(after, field="after", kind="user") if after is not None else None,
        )
        return [User.from_domain(user) for user in found]
