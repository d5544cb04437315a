"""`insighta org create|show`, and the organisation check behind `insighta token --org`.

Operators name organisations by slug, and anyone can found one by signing up under a name of
their choosing (services/accounts/organisations.py). So an operator creates a customer's
organisation deliberately, and a token for an organisation is issued only after saying whose
it is: its name, how it was founded and its admins, refusing a self-service one unless the
operator confirms it. These talk to the database directly, like `migrate`, since the server
need not be running.
"""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from cli.errors import CommandError
from cli.exit_codes import exit_code_for
from cli.output import print_inert, reports_errors, stderr, stdout
from services.errors import ServiceError
from services.platform.interrupts import run_interruptibly
from services.platform.settings import Settings

if TYPE_CHECKING:
    from services.accounts.organisations import OrganisationProfile
    from services.platform.database import ConnectionPool

CONFIRM_FLAG = "--confirm-self-service"

org_app = typer.Typer(help="Organisations: create one for a customer, or see who runs one.")

T = TypeVar("T")


def _with_pool(work: Callable[["ConnectionPool"], Awaitable[T]]) -> T:
    """Run `work` on a small pool of the database the settings name; a ServiceError becomes a
    CommandError with the exit code of its code."""
    from services.platform.database import open_database

    async def run() -> T:
        database = await open_database(Settings.from_env(), max_size=2)
        try:
            return await work(database.pool)
        finally:
            await database.close()

    try:
        return run_interruptibly(run())
    except ServiceError as error:
        code = error.code.value
        raise CommandError(str(error), exit_code_for(code), code=code) from None


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

    print_inert(stderr, _with_pool(check).summary)


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

    print_inert(stdout, "created ", _with_pool(work).summary)


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

    print_inert(stdout, _with_pool(work).summary)
