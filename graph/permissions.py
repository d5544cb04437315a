"""Permission classes for root fields: a bearer token first, then the role the field needs.

They raise our coded `ServiceError` themselves rather than return False, so the message can say
exactly what is wrong without sharing mutable state between concurrent requests.
"""

from typing import Any, ClassVar

from strawberry.permission import BasePermission
from strawberry.types import Info

from graph.context import Context
from services.auth.tokens import Principal, Role
from services.errors import ErrorCode, ServiceError


def require_principal(context: Context) -> Principal:
    if context.principal is not None:
        return context.principal
    raise context.auth_error or ServiceError(
        ErrorCode.UNAUTHENTICATED,
        "a bearer token is required: send `Authorization: Bearer <token>`",
    )


class _HasRole(BasePermission):
    roles: ClassVar[frozenset[Role]]

    def has_permission(self, source: Any, info: Info[Context, None], **kwargs: Any) -> bool:
        principal = require_principal(info.context)
        if principal.role not in self.roles:
            raise ServiceError(
                ErrorCode.FORBIDDEN, f"the {principal.role.value} role may not do this"
            )
        return True


class CanReadProfiles(_HasRole):
    roles = frozenset({Role.ADMIN, Role.ANALYST})


class CanManageIngestion(_HasRole):
    roles = frozenset({Role.ADMIN})
