"""Organisations as operators see them: who founded one, who administers it.

Anyone can found an organisation by signing up, under a slug made from a name they choose.
Operators name organisations by slug (`insighta token --org`, a platform admin's
`inviteUser(organisation:)`), so a slug alone does not say whose organisation it is: a
squatter may have signed up as "acme" before the real Acme was set up. So operators act only
in an organisation that exists, are shown how it was founded and who administers it, and must
say explicitly that they mean a self-service one. Organisations for customers are created
deliberately (`insighta org create`).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, Self
from uuid import UUID

import asyncpg

from db import accounts as accounts_db
from db.pool import Connection
from services.accounts import validation
from services.errors import ErrorCode, ServiceError, bad_input
from services.interviews.text_rules import storable_text
from services.platform.rows import Row

MAX_SLUG: Final = validation.MAX_SLUG_BASE  # as sign-up makes them


class OrganisationOrigin(Enum):
    SIGN_UP = "sign_up"  # founded by a self-service sign-up: whoever signed up runs it
    OPERATOR = "operator"  # created by an operator (`insighta org create`, an operator token)

    @property
    def described(self) -> str:
        if self is OrganisationOrigin.SIGN_UP:
            return "founded by a self-service sign-up"
        return "created by an operator"


@dataclass(frozen=True, slots=True)
class OrganisationProfile:
    """An organisation with what an operator must know before acting in it."""

    id: UUID
    slug: str
    name: str
    origin: OrganisationOrigin
    admin_emails: tuple[str, ...]  # its active admins, oldest first
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            slug=row["slug"],
            name=row["name"],
            origin=OrganisationOrigin(row["origin"]),
            admin_emails=tuple(row["admin_emails"]),
            created_at=row["created_at"],
        )

    @property
    def summary(self) -> str:
        """`organisation "acme" (Acme Research), founded by a self-service sign-up, admins:
        ada@acme.com`: one line for a CLI or an error message."""
        admins = ", ".join(self.admin_emails) or "none"
        described = self.origin.described
        return f'organisation "{self.slug}" ({self.name}), {described}, admins: {admins}'


class SelfServiceOrganisation(ServiceError):
    """BAD_USER_INPUT: an operator named a self-service organisation without saying they mean
    it. The extensions say whose it is, so a client can show it and ask."""

    def __init__(self, organisation: OrganisationProfile, *, confirm_with: str) -> None:
        super().__init__(
            ErrorCode.BAD_USER_INPUT,
            f"{organisation.summary}: anyone can found an organisation under any free slug, so "
            f"this one may not be who you think; {confirm_with} to act in it anyway, or create "
            "the organisation you mean under another slug (insighta org create)",
            field="organisation",
        )
        self.organisation = organisation

    @property
    def extensions(self) -> dict[str, str]:
        return super().extensions | {
            "organisation": self.organisation.slug,
            "organisationName": self.organisation.name,
            "organisationOrigin": self.organisation.origin.name,
            "organisationAdmins": ", ".join(self.organisation.admin_emails),
        }


def organisation_slug(value: str, *, field: str = "organisation") -> str:
    """An explicit slug as sign-up would make it: `acme-research`, lower-case ASCII letters and
    digits joined by single hyphens, not a reserved one."""
    storable_text(value, field=field)
    slug = value.strip()
    if not slug or len(slug) > MAX_SLUG or validation.slug_base(slug) != slug:
        raise bad_input(
            f"{field} must be lower-case letters and digits joined by single hyphens, at most "
            f"{MAX_SLUG} characters (like acme-research)",
            field=field,
        )
    if slug in validation.RESERVED_SLUGS:
        raise bad_input(f'the slug "{slug}" is reserved', field=field)
    return slug


async def describe_organisation(conn: Connection, slug: str) -> OrganisationProfile | None:
    row = await accounts_db.get_organisation_with_admins(conn, slug)
    return OrganisationProfile.from_row(row) if row is not None else None


async def operator_organisation(
    conn: Connection, slug: str, *, self_service_confirmed: bool, confirm_with: str
) -> OrganisationProfile:
    """The existing organisation an operator names: NOT_FOUND if there is none (nothing is
    created by naming it), BAD_USER_INPUT (SelfServiceOrganisation) for one founded by sign-up
    unless the operator confirmed they mean it."""
    organisation = await describe_organisation(conn, slug)
    if organisation is None:
        raise ServiceError(
            ErrorCode.NOT_FOUND,
            f'no organisation has the slug "{slug}": create it first '
            f'(insighta org create {slug} --name "...")',
            field="organisation",
        )
    if organisation.origin is OrganisationOrigin.SIGN_UP and not self_service_confirmed:
        raise SelfServiceOrganisation(organisation, confirm_with=confirm_with)
    return organisation


async def create_organisation(pool: asyncpg.Pool, *, slug: str, name: str) -> OrganisationProfile:
    """A new operator-created organisation; a taken slug is BAD_USER_INPUT saying whose it is."""
    slug = organisation_slug(slug, field="slug")
    name = validation.organisation_name(name, fallback=slug)
    async with pool.acquire() as conn, conn.transaction():
        row = await accounts_db.insert_organisation(
            conn, slug=slug, name=name, origin=OrganisationOrigin.OPERATOR.value
        )
        if row is None:
            taken = await describe_organisation(conn, slug)
            held_by = taken.summary if taken is not None else f'organisation "{slug}"'
            raise bad_input(f"the slug is taken: {held_by}", field="slug")
        created = await describe_organisation(conn, slug)
    assert created is not None
    return created
