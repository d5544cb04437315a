"""From a bearer token to the principal behind it, refusing accounts that are disabled.

A token whose signature checked out is remembered (bounded, least recently used out) until it
expires: verifying the signature was the largest fixed cost of a cached answer, and a token's
claims cannot change. Expiry and the account's status are checked on every use.
"""

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Final

from services.accounts.statuses import UserStatuses
from services.auth.tokens import EXPIRED_MESSAGE, Principal, verify_token
from services.errors import ErrorCode, ServiceError
from services.platform.settings import Secret

DISABLED_MESSAGE: Final = "this account is disabled"
# ~10k tokens of ~300 bytes with their principals: a few MB. Longer texts are never remembered.
MAX_REMEMBERED_TOKENS: Final = 10_000
MAX_REMEMBERED_TOKEN_LENGTH: Final = 2_048

_verified: OrderedDict[tuple[str, str], Principal] = OrderedDict()


def account_disabled() -> ServiceError:
    return ServiceError(ErrorCode.UNAUTHENTICATED, DISABLED_MESSAGE)


async def authenticate(key: Secret, statuses: UserStatuses, token: str) -> Principal:
    """The verified principal, or UNAUTHENTICATED (bad or expired token, disabled account).

    Operator and agent tokens carry no user and are checked by signature and expiry alone; a
    user token also needs its account to be active right now (one cached lookup)."""
    principal = _verified_principal(key, token)
    await recheck(statuses, principal)
    return principal


def _verified_principal(key: Secret, token: str) -> Principal:
    remembered = (key.reveal(), token)
    principal = _verified.get(remembered)
    if principal is not None:
        _verified.move_to_end(remembered)
        return principal
    principal = verify_token(key, token)
    if len(token) <= MAX_REMEMBERED_TOKEN_LENGTH:
        _verified[remembered] = principal
        while len(_verified) > MAX_REMEMBERED_TOKENS:
            _verified.popitem(last=False)
    return principal


async def recheck(statuses: UserStatuses, principal: Principal) -> None:
    """UNAUTHENTICATED once the principal's token has expired or its account is disabled: for
    a principal that outlives the request that proved it (a websocket's, from connection_init)."""
    if principal.expires_at <= datetime.now(UTC):
        raise ServiceError(ErrorCode.UNAUTHENTICATED, EXPIRED_MESSAGE)
    if principal.user_id is not None and not await statuses.is_active(principal.user_id):
        raise account_disabled()
