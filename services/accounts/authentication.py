"""From a bearer token to the principal behind it, refusing accounts that are disabled."""

from datetime import UTC, datetime
from typing import Final

from services.accounts.statuses import UserStatuses
from services.auth.tokens import EXPIRED_MESSAGE, Principal, verify_token
from services.errors import ErrorCode, ServiceError
from services.platform.settings import Secret

DISABLED_MESSAGE: Final = "this account is disabled"


def account_disabled() -> ServiceError:
    return ServiceError(ErrorCode.UNAUTHENTICATED, DISABLED_MESSAGE)


async def authenticate(key: Secret, statuses: UserStatuses, token: str) -> Principal:
    """The verified principal, or UNAUTHENTICATED (bad or expired token, disabled account).

    Operator and agent tokens carry no user and are checked by signature and expiry alone; a
    user token also needs its account to be active right now (one cached lookup)."""
    principal = verify_token(key, token)
    await recheck(statuses, principal)
    return principal


async def recheck(statuses: UserStatuses, principal: Principal) -> None:
    """UNAUTHENTICATED once the principal's token has expired or its account is disabled: for
    a principal that outlives the request that proved it (a websocket's, from connection_init)."""
    if principal.expires_at <= datetime.now(UTC):
        raise ServiceError(ErrorCode.UNAUTHENTICATED, EXPIRED_MESSAGE)
    if principal.user_id is not None and not await statuses.is_active(principal.user_id):
        raise account_disabled()
