"""GraphQL enums for accounts: the service enums, registered with Strawberry."""

from typing import TypeAlias

import strawberry

from services.accounts import records

strawberry.enum(
    records.UserRole,
    name="UserRole",
    description="ADMIN: everything in the organisation; RECRUITER: its candidates and "
    "interviews; ANALYST: read the profiles",
)

UserRole: TypeAlias = records.UserRole
