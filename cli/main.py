"""The `insighta` command: serve, migrate, seed, token, org and rollups; the client commands (query,
export, login, logout, whoami, ingest) and `bench` in their own modules beside this one.

The server, the database layer and the loaders are imported inside the commands that use them:
`insighta --help` or `insighta token` then start in a fraction of the time, and so does every
process spawned from this script (the ingestion parse processes re-import it as their main
module).
"""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cli import account, bench, profiles
from cli.data_dir import record_server
from cli.exit_codes import ExitCode
from cli.ingest import ingest
from cli.org import CONFIRM_FLAG, org_app, token_organisation
from cli.output import reports_errors, stderr
from cli.profile_records import profiles_app
from cli.rollups import rollups_app
from services.auth.tokens import Role, issue_token
from services.platform.interrupts import run_interruptibly
from services.platform.settings import Secret, Settings, SettingsError
from services.platform.structured_logging import configure_logging
from services.profiles.synthetic import SyntheticProfiles

if TYPE_CHECKING:
    from services.platform.database import Database


class _InsightaGroup(typer.core.TyperGroup):
    """Each command reads its settings itself; a bad variable is the operator's to fix, so it
    ends any command with one message naming it (docs/configuration.md), not a traceback."""

    # Any: the parameter is typer's private vendored click Context, which has no public name.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as error:
            for problem in error.problems:
                stderr.print(f"[bold red]error:[/bold red] {escape(problem)}")
            stderr.print("see docs/configuration.md", style="dim")
            raise typer.Exit(int(ExitCode.USAGE)) from None
        except KeyboardInterrupt:
            # Ctrl-C in `migrate`, `seed` or `serve` start-up: the exit code of cli/exit_codes.py,
            # not click's "Aborted!" with exit 1.
            stderr.print("interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


app = typer.Typer(
    cls=_InsightaGroup,
    help="Insighta: GraphQL API for demographic intelligence and AI interviews.",
)
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes [default: WEB_CONCURRENCY, else 1]", min=1),
    ] = None,
) -> None:
    """Start the server (on an embedded PostgreSQL when DATABASE_URL is unset)."""
    import uvicorn

    from server.app import create_app
    from server.options import uvicorn_options
    from server.supervisor import serve_workers

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    processes = workers or settings.web_concurrency

    def announce(settings: Settings, key: Secret) -> None:
        token = _admin_token(settings, key)
        # Client commands run anywhere in the project find this and need no INSIGHTA_URL.
        record_server(settings.data_dir, f"http://{_url_host(host)}:{port}/graphql")
        console.print(f"[bold]Insighta[/bold] GraphQL at [link]http://{host}:{port}/graphql[/link]")
        console.print("Admin token (paste into GraphiQL's headers as shown):")
        console.print(f'{{"Authorization": "Bearer {token}"}}', soft_wrap=True, highlight=False)
        console.print("GraphiQL, signed in as admin (the page then drops the token from the URL):")
        console.print(
            f"http://{_browsable(host)}:{port}/graphql?token={token}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
        # One line each whatever the width: off a terminal (a log file) Rich wraps at 80.
        if settings.cors_origins:
            origins = ", ".join(settings.cors_origins)
            console.print(
                f"Browser apps on other origins allowed (CORS_ORIGINS): {origins}",
                soft_wrap=True,
                highlight=False,
                markup=False,
            )
        else:
            console.print(
                "Browser apps on other origins: set CORS_ORIGINS, e.g."
                " CORS_ORIGINS=http://localhost:5173 (docs/api.md, Browser frontends)",
                soft_wrap=True,
                highlight=False,
            )

    if processes > 1:
        raise typer.Exit(
            serve_workers(settings, host=host, port=port, workers=processes, announce=announce)
        )
    uvicorn.run(
        create_app(settings, on_ready=announce), host=host, port=port, **uvicorn_options(settings)
    )


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from services.platform.database import open_database

    configure_logging(Settings.from_env().log_format)

    async def run() -> None:
        database = await open_database(Settings.from_env(), max_size=2)
        await database.close()

    run_interruptibly(run())
    console.print("migrations applied")


@app.command()
def seed(
    synthetic: Annotated[
        int | None,
        typer.Option(help="Add N generated profiles instead of the demo ones", min=0),
    ] = None,
    seed: Annotated[int, typer.Option(help="Generator seed: equal seeds give equal rows")] = 1,
) -> None:
    """Load the 2026 demo profiles (names already stored are left alone), or N generated ones."""
    from services.platform.database import open_database
    from services.profiles.seed import seed_demo_profiles

    configure_logging(Settings.from_env().log_format)
    capacity = SyntheticProfiles(seed).capacity
    if synthetic is not None and synthetic > capacity:
        raise typer.BadParameter(
            f"one seed makes at most {capacity:,} distinct names; load more with several seeds",
            param_hint="--synthetic",
        )

    async def run() -> None:
        database = await open_database(Settings.from_env(), max_size=2)
        try:
            if synthetic is None:
                result = await seed_demo_profiles(database.pool)
                console.print(
                    f"demo profiles: {result.inserted} inserted,"
                    f" {result.already_present} already present"
                )
            else:
                await _seed_synthetic(database, synthetic, seed)
        finally:
            await database.close()

    run_interruptibly(run())


async def _seed_synthetic(database: "Database", count: int, seed: int) -> None:
    from services.profiles.bulk_load import load_synthetic_profiles

    with Progress(
        TextColumn("synthetic profiles"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("load", total=count)
        load = await load_synthetic_profiles(
            database.pool,
            count,
            seed=seed,
            on_progress=lambda rows: progress.update(task, completed=rows),
        )
    path = "bulk (empty table: indexes rebuilt)" if load.bulk else "batches"
    console.print(
        f"synthetic profiles: {load.inserted} inserted, {load.skipped} already present"
        f" ({path}, {load.seconds:.1f} s, {load.rows_per_second:,.0f} rows/s)"
    )


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


@app.command()
@reports_errors
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


def _browsable(host: str) -> str:
    """A listen-on-all address is not one a browser can open; the loopback one always is."""
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _url_host(host: str) -> str:
    """The host as a URL needs it: `::1` -> `[::1]`."""
    browsable = _browsable(host)
    return f"[{browsable}]" if ":" in browsable else browsable


def _admin_token(settings: Settings, key: Secret) -> str:
    return issue_token(
        key, role=Role.ADMIN, subject="admin", ttl=timedelta(seconds=settings.token_ttl_seconds)
    )


profiles.register(app)
account.register(app)
bench.register(app)
app.command(rich_help_panel=profiles.PANEL)(reports_errors(ingest))
app.add_typer(org_app, name="org")
app.add_typer(rollups_app, name="rollups")
app.add_typer(profiles_app, name="profiles", rich_help_panel=profiles.PANEL)


def main() -> None:
    app()
