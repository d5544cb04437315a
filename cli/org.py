"""`insighta org create|show`, and the organisation check behind `insighta token --org`.

Operators name organisations by slug, and anyone can found one by signing up under a name of
their choosing (services/accounts/organisations.py). So an operator creates a customer's
organisation deliberately, and a token for an organisation is issued only after saying whose
it is: its name, how it was founded and its admins, refusing a self-service one unless the
operator confirms it. These talk to the database directly, like `migrate`, since the server
need not be running.
"""

from typing import TYPE_CHECKING, Annotated

import typer

from cli.database import with_pool
from cli.output import print_inert, reports_errors, stderr, stdout
from services.errors import ServiceError

if TYPE_CHECKING:
    from services.accounts.organisations import OrganisationProfile
    from services.platform.database import ConnectionPool

CONFIRM_FLAG = "--confirm-self-service"

org_app = typer.Typer(help="Organisations: create one for a customer, or see who runs one.")


def token_organisation(slug: str, *, confirm_self_service: bool) -> None:
    """For `insighta token --org`: the organisation must exist; say whose it is (on stderr, so
    the token stays alone on stdout) and refuse a self-service one unless confirmed."""
    from services.accounts.organisations import operator_organisation

    async def check(pool: "ConnectionPool") -> "OrganisationProfile":
        async with pool.acquire() as conn:
            return await operator_organisation(
                conn,
                slug,
                self_service_confirmed=confirm_self_service,
                confirm_with=f"add {CONFIRM_FLAG}",
            )

    print_inert(stderr, with_pool(check).summary)


@org_app.command()
@reports_errors
def create(
    slug: Annotated[
        str, typer.Argument(help="The slug tokens will name: lower-case, like acme-research")
    ],
    name: Annotated[str, typer.Option(help="The organisation's display name")],
) -> None:
    """Create an organisation for a customer (an operator-created one: tokens and invitations
    into it need no confirmation)."""
    from services.accounts.organisations import create_organisation

    async def work(pool: "ConnectionPool") -> "OrganisationProfile":
        return await create_organisation(pool, slug=slug, name=name)

    print_inert(stdout, "created ", with_pool(work).summary)


@org_app.command()
@reports_errors
def show(slug: Annotated[str, typer.Argument(help="The organisation's slug")]) -> None:
    """Show an organisation: its name, how it was founded and its admins."""
    from services.accounts.organisations import describe_organisation
    from services.errors import ErrorCode

    async def work(pool: "ConnectionPool") -> "OrganisationProfile":
        async with pool.acquire() as conn:
            found = await describe_organisation(conn, slug)
        if found is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f'no organisation has the slug "{slug}"')
        return found

    print_inert(stdout, with_pool(work).summary)
