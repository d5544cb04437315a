"""GraphQL enums for accounts: the service enums, registered with Strawberry."""

from typing import TypeAlias

import strawberry

from services.accounts import organisations, records

strawberry.enum(
    records.UserRole,
    name="UserRole",
    description="ADMIN: everything in the organisation; RECRUITER: its candidates and "
    "interviews; ANALYST: read the profiles",
)

UserRole: TypeAlias = records.UserRole

strawberry.enum(
    organisations.OrganisationOrigin,
    name="OrganisationOrigin",
    description="SIGN_UP: founded by a self-service sign-up, under a name its founder chose; "
    "OPERATOR: created by an operator (insighta org create)",
)

OrganisationOrigin: TypeAlias = organisations.OrganisationOrigin
