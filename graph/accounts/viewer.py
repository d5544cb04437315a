"""`viewer`: who the bearer token says is asking (for `insighta whoami` and clients)."""

from datetime import datetime
from typing import Self

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.permissions import Permitted, require_principal
from services.auth.tokens import Principal


@strawberry.type(description="The identity a bearer token carries.")
class Viewer:
    subject: str
    role: str = strawberry.field(description="admin | analyst | recruiter")
    organisation: str | None
    expires_at: datetime = strawberry.field(description="When the token stops working")

    @classmethod
    def from_domain(cls, principal: Principal) -> Self:
        return cls(
            subject=principal.subject,
            role=principal.role.value,
            organisation=principal.organisation,
            expires_at=principal.expires_at,
        )


@strawberry.type
class ViewerQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="Who is asking; any valid token, else UNAUTHENTICATED.",
    )
    def viewer(self, info: Info[Context, None]) -> Viewer:
        return Viewer.from_domain(require_principal(info.context))
