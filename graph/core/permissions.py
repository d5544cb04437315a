"""The permission class on every root field: a lookup in the table of graph/core/authorization.py.

It raises our coded `ServiceError` itself rather than return False, so the message can say
exactly what is wrong without sharing mutable state between concurrent requests.
"""

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from graph.core.authorization import TOKEN_REQUIRED, authorize, authorize_field
from graph.core.context import Context
from services.accounts.authentication import recheck
from services.auth.tokens import Principal
from services.errors import ErrorCode, ServiceError


def require_principal(context: Context) -> Principal:
    if context.principal is not None:
        return context.principal
    raise context.auth_error or ServiceError(ErrorCode.UNAUTHENTICATED, TOKEN_REQUIRED)


class Permitted(BasePermission):
    """Whatever the permission table says for this field (by its GraphQL name)."""

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        context = info.context
        principal, auth_error = context.principal, context.auth_error
        if principal is not None and context.over_websocket:
            # A socket's token was checked once, at connection_init; every operation sent on
            # it later must still find the token unexpired and its account enabled.
            try:
                await recheck(context.accounts.statuses, principal)
            except ServiceError as error:
                principal, auth_error = None, error
        authorize(info.field_name, principal, auth_error)
        return True


class FieldPermitted(BasePermission):
    """A field below the root that leads to candidate data: FIELD_PERMISSIONS says who may
    read it (graph/core/authorization.py)."""

    async def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        authorize_field(f"{info.path.typename}.{info.field_name}", info.context.principal)
        return True
