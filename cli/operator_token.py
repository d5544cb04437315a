"""`insighta token`: a signed bearer token for operators and scripts, for an organisation
that exists and whose owner is named (cli/org.py)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from cli.org import CONFIRM_FLAG, token_organisation
from cli.output import reports_errors
from services.auth.tokens import Role, issue_token
from services.platform.settings import Settings


def _token_lifetime(hours: float) -> float:
    """A token that is born expired, or whose expiry no date can hold (inf, nan, 1e12 hours),
    is a usage error, not a useless token or a traceback."""
    try:
        valid = hours > 0 and datetime.now(UTC) + timedelta(hours=hours) > datetime.now(UTC)
    except (OverflowError, ValueError):
        valid = False
    if not valid:
        raise typer.BadParameter("give a positive number of hours, at most a few thousand years")
    return hours


def token(
    role: Annotated[Role, typer.Option(help="Role the token grants", case_sensitive=False)],
    org: Annotated[
        str | None,
        typer.Option(
            help="Organisation (slug) the token is scoped to; an admin token with one is that "
            "organisation's admin, without one the platform admin. It must exist (insighta org "
            "create); who runs it is printed on stderr"
        ),
    ] = None,
    confirm_self_service: Annotated[
        bool,
        typer.Option(
            CONFIRM_FLAG,
            help="Issue a token for an organisation founded by a self-service sign-up (anyone "
            "can sign up under any free slug, so it is refused without this)",
        ),
    ] = False,
    subject: Annotated[str, typer.Option(help="Who the token names")] = "operator",
    ttl_hours: Annotated[
        float, typer.Option(help="Hours until the token expires", callback=_token_lifetime)
    ] = 12.0,
) -> None:
    """Print a signed bearer token (alone on the last line)."""
    if org is not None:
        token_organisation(org, confirm_self_service=confirm_self_service)
    settings = Settings.from_env()
    value = issue_token(
        settings.resolved_secret_key(),
        role=role,
        subject=subject,
        organisation=org,
        ttl=timedelta(hours=ttl_hours),
    )
    print(value)


def register(app: typer.Typer) -> None:
    app.command()(reports_errors(token))
