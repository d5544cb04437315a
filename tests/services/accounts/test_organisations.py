"""Organisations as operators see them: origin, admins, deliberate creation."""

import uuid

import asyncpg
import pytest

from services.accounts.organisations import (
    OrganisationOrigin,
    create_organisation,
    describe_organisation,
    operator_organisation,
    organisation_slug,
)
from services.errors import ServiceError


@pytest.mark.parametrize("slug", ["acme", "acme-research", "a1-b2"])
def test_a_slug_sign_up_could_make_is_accepted(slug: str) -> None:
    assert organisation_slug(f" {slug} ") == slug


@pytest.mark.parametrize("slug", ["", "Acme", "acme--x", "acme-", "default", "a_b", "é", "a" * 49])
def test_any_other_slug_is_bad_input(slug: str) -> None:
    with pytest.raises(ServiceError) as raised:
        organisation_slug(slug)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": "organisation"}


async def test_an_operator_creates_an_organisation_once(pool: asyncpg.Pool) -> None:
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    created = await create_organisation(pool, slug=slug, name="  Acme   Research ")
    assert (created.slug, created.name) == (slug, "Acme Research")
    assert created.origin is OrganisationOrigin.OPERATOR
    assert created.admin_emails == ()
    with pytest.raises(ServiceError) as taken:
        await create_organisation(pool, slug=slug, name="Someone else")
    assert taken.value.extensions == {"code": "BAD_USER_INPUT", "field": "slug"}
    assert "Acme Research" in str(taken.value)
    async with pool.acquire() as conn:
        found = await operator_organisation(
            conn, slug, self_service_confirmed=False, confirm_with="confirm"
        )
    assert found == created


async def test_naming_an_organisation_that_does_not_exist_creates_nothing(
    pool: asyncpg.Pool,
) -> None:
    slug = f"ghost-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        with pytest.raises(ServiceError) as raised:
            await operator_organisation(
                conn, slug, self_service_confirmed=True, confirm_with="confirm"
            )
        assert raised.value.extensions == {"code": "NOT_FOUND", "field": "organisation"}
        assert await describe_organisation(conn, slug) is None
