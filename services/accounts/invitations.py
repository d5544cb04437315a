"""Invitations into an organisation: a single-use, expiring link sent by email.

Organisation admins invite into their own organisation; platform admins name the one they
mean, which must exist (services/accounts/organisations.py: a slug may belong to whoever
signed up under it, so a self-service organisation needs `confirm_self_service`). Only the
sha256 of the link's token is stored; the token itself exists only in the email, so the
invitee proves they own the address by using it.
"""

import logging
from dataclasses import dataclass
from uuid import UUID

from db import account_tokens as tokens_db
from db import accounts as accounts_db
from db.pool import Connection
from services.accounts import validation
from services.accounts.organisations import (
    OrganisationProfile,
    describe_organisation,
    operator_organisation,
)
from services.accounts.records import Invitation, UserRole
from services.accounts.runtime import AccountServices
from services.accounts.signup import EMAIL_TAKEN
from services.auth.opaque_tokens import new_opaque_token
from services.auth.tokens import Principal
from services.email.outbox import queue_email
from services.email.templates import user_invitation_email
from services.errors import ErrorCode, ServiceError, bad_input
from services.interviews.access import owning_organisation
from services.interviews.text_rules import storable_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SentInvitation:
    invitation: Invitation
    organisation: OrganisationProfile  # as it was when invited into: who runs it


def invitation_organisation(principal: Principal, requested: str | None) -> str:
    """The slug to invite into: an organisation admin's own (naming another is FORBIDDEN), or
    the one a platform admin names (required)."""
    storable_text(requested or "", field="organisation")
    if principal.is_platform_admin and not (requested and requested.strip()):
        raise bad_input("name the organisation to invite into (its slug)", field="organisation")
    return owning_organisation(principal, requested)


async def invite_user(
    accounts: AccountServices,
    principal: Principal,
    *,
    email: str,
    role: UserRole,
    organisation: str | None = None,
    confirm_self_service: bool = False,
) -> SentInvitation:
    """The invitation, its email queued in the same transaction (notify the worker after).

    A platform admin's organisation must exist, and one founded by sign-up is refused
    (SelfServiceOrganisation, naming its admins) unless `confirm_self_service`."""
    slug = invitation_organisation(principal, organisation)
    address = validation.email_address(email)
    token = new_opaque_token()
    valid_days = max(1, round(accounts.policy.invitation_ttl.total_seconds() / 86_400))
    async with accounts.pool.acquire() as conn, conn.transaction():
        target = await _target_organisation(conn, principal, slug, confirm_self_service)
        if await accounts_db.is_email_taken(conn, address.key):
            raise bad_input(EMAIL_TAKEN, field="email")
        organisation_id = target.id
        row = await tokens_db.insert_invitation(
            conn,
            organisation_id=organisation_id,
            email=address.address,
            email_key=address.key,
            role=role.value,
            token_hash=token.digest,
            invited_by=principal.subject,
            ttl_seconds=accounts.policy.invitation_ttl.total_seconds(),
        )
        invitation = Invitation.from_row(row)
        await queue_email(
            conn,
            user_invitation_email(
                to=address.address,
                organisation=invitation.organisation.name,
                role=role.value,
                invited_by=await _inviter_name(conn, principal.user_id),
                accept_url=accounts.policy.invitation_url(token.value),
                valid_days=valid_days,
            ),
            idempotency_key=f"user-invite:{invitation.id}",
            organisation_id=organisation_id,
        )
    logger.info(
        "invitation queued",
        extra={"invitation_id": str(invitation.id), "organisation": slug, "role": role.value},
    )
    return SentInvitation(invitation, target)


async def _target_organisation(
    conn: Connection, principal: Principal, slug: str, confirm_self_service: bool
) -> OrganisationProfile:
    if principal.is_platform_admin:
        return await operator_organisation(
            conn,
            slug,
            self_service_confirmed=confirm_self_service,
            confirm_with="pass confirmSelfService: true",
        )
    # An organisation admin's own organisation: it exists for every account's token; an
    # operator token naming a slug that was never created has nothing to invite into.
    own = await describe_organisation(conn, slug)
    if own is None:
        raise ServiceError(
            ErrorCode.NOT_FOUND, f'no organisation has the slug "{slug}"', field="organisation"
        )
    return own


async def _inviter_name(conn: Connection, user_id: UUID | None) -> str:
    if user_id is not None:
        row = await accounts_db.get_user(conn, user_id)
        if row is not None:
            return str(row["name"])
    return "An administrator"
