"""The permission class on every root field: a lookup in the table of graph/authorization.py.

It raises our coded `ServiceError` itself rather than return False, so the message can say
exactly what is wrong without sharing mutable state between concurrent requests.
"""

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from graph.authorization import TOKEN_REQUIRED, authorize
from graph.context import Context
from services.auth.tokens import Principal
from services.errors import ErrorCode, ServiceError


def require_principal(context: Context) -> Principal:
    if context.principal is not None:
        return context.principal
    raise context.auth_error or ServiceError(ErrorCode.UNAUTHENTICATED, TOKEN_REQUIRED)


class Permitted(BasePermission):
    """Whatever the permission table says for this field (by its GraphQL name)."""

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        context = info.context
        authorize(info.field_name, context.principal, context.auth_error)
        return True
