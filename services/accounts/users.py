"""Reading accounts (`me`, an organisation's users) and switching them on and off."""

from typing import Final
from uuid import UUID

from db import account_tokens as tokens_db
from db import accounts as accounts_db
from services.accounts.records import User
from services.accounts.runtime import AccountServices
from services.auth.tokens import Principal
from services.errors import bad_input
from services.interviews.access import not_found, organisation_scope, owning_organisation
from services.interviews.text_rules import storable_text

MAX_USERS_PAGE: Final = 100


async def current_user(accounts: AccountServices, principal: Principal) -> User | None:
    """The account behind a user token; None for operator and agent tokens, which name none."""
    if principal.user_id is None:
        return None
    async with accounts.pool.acquire() as conn:
        row = await accounts_db.get_user(conn, principal.user_id)
    return User.from_row(row) if row is not None else None


async def list_users(
    accounts: AccountServices,
    principal: Principal,
    *,
    organisation: str | None,
    first: int,
    after: UUID | None,
) -> list[User]:
    """Users in id (creation) order after `after`: an organisation admin's own organisation;
    a platform admin's named one, or every organisation."""
    if not 1 <= first <= MAX_USERS_PAGE:
        raise bad_input(f"first must be 1..{MAX_USERS_PAGE}", field="first")
    scope = organisation_scope(principal)
    if organisation is not None:
        scope = owning_organisation(principal, storable_text(organisation, field="organisation"))
    async with accounts.pool.acquire() as conn:
        rows = await accounts_db.select_users(conn, scope=scope, after=after, limit=first)
    return [User.from_row(row) for row in rows]


async def set_user_active(
    accounts: AccountServices, principal: Principal, user_id: UUID, *, active: bool
) -> User:
    """Another organisation's user is NOT_FOUND. Disabling also revokes every refresh token,
    and this process refuses the user's access tokens at once (others within the status
    cache time)."""
    if not active and principal.user_id == user_id:
        raise bad_input("you cannot disable your own account", field="userId")
    scope = organisation_scope(principal)
    async with accounts.pool.acquire() as conn, conn.transaction():
        row = await accounts_db.set_user_active(conn, user_id, active=active, scope=scope)
        if row is None:
            raise not_found("user", user_id)
        if not active:
            await tokens_db.revoke_user_refresh_tokens(conn, user_id)
    accounts.statuses.forget(user_id)
    return User.from_row(row)
