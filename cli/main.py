"""The `insighta` command: its group and the table of its commands, each command group in a
module of its own beside this one (serve, database_setup: migrate and seed, operator_token,
org, rollups; the client commands profiles: query and export, account: login, logout and
whoami, ingest, profile_records; bench).

The server, the database layer and the loaders are imported inside the commands that use them:
`insighta --help` or `insighta token` then start in a fraction of the time, and so does every
process spawned from this script (the ingestion parse processes re-import it as their main
module).
"""

from typing import Any

import typer
from rich.markup import escape

from cli import account, bench, database_setup, operator_token, profiles, serve
from cli.exit_codes import ExitCode
from cli.ingest import ingest
from cli.org import org_app
from cli.output import reports_errors, stderr
from cli.profile_records import profiles_app
from cli.rollups import rollups_app
from services.platform.settings import SettingsError


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


serve.register(app)
database_setup.register(app)
operator_token.register(app)
profiles.register(app)
account.register(app)
bench.register(app)
app.command(rich_help_panel=profiles.PANEL)(reports_errors(ingest))
app.add_typer(org_app, name="org")
app.add_typer(rollups_app, name="rollups")
app.add_typer(profiles_app, name="profiles", rich_help_panel=profiles.PANEL)


def main() -> None:
    app()
