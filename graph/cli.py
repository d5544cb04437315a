"""The `insighta` command: serve, migrate, seed, token and ingest."""

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from graph.app import create_app
from graph.client import GraphQLClient
from graph.ingest_command import run_ingest
from services.auth.credentials import client_token
from services.auth.tokens import Role, issue_token
from services.database import open_database
from services.profiles.seed import seed_demo_profiles
from services.settings import Secret, Settings
from services.structured_logging import configure_logging

app = typer.Typer(help="Insighta: GraphQL API for demographic intelligence and AI interviews.")
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Start the server (on an embedded PostgreSQL when DATABASE_URL is unset)."""
    configure_logging()
    settings = Settings.from_env()

    def announce(settings: Settings, key: Secret) -> None:
        token = _admin_token(settings, key)
        console.print(f"[bold]Insighta[/bold] GraphQL at [link]http://{host}:{port}/graphql[/link]")
        console.print("Admin token (paste into GraphiQL's headers as shown):")
        console.print(f'{{"Authorization": "Bearer {token}"}}', soft_wrap=True, highlight=False)

    uvicorn.run(
        create_app(settings, on_ready=announce),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=False,
    )


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    configure_logging()

    async def run() -> None:
        database = await open_database(Settings.from_env(), max_size=2)
        await database.close()

    asyncio.run(run())
    console.print("migrations applied")


@app.command()
def seed() -> None:
    """Load the 2026 demo profiles; names already stored are left alone."""
    configure_logging()

    async def run() -> None:
        database = await open_database(Settings.from_env(), max_size=2)
        try:
            result = await seed_demo_profiles(database.pool)
        finally:
            await database.close()
        console.print(
            f"demo profiles: {result.inserted} inserted, {result.already_present} already present"
        )

    asyncio.run(run())


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="Role the token grants", case_sensitive=False)],
    org: Annotated[str | None, typer.Option(help="Organisation the token is scoped to")] = None,
    subject: Annotated[str, typer.Option(help="Who the token names")] = "operator",
    ttl_hours: Annotated[float, typer.Option(help="Hours until the token expires")] = 12.0,
) -> None:
    """Print a signed bearer token (alone on the last line)."""
    settings = Settings.from_env()
    value = issue_token(
        settings.resolved_secret_key(),
        role=role,
        subject=subject,
        organisation=org,
        ttl=timedelta(hours=ttl_hours),
    )
    print(value)


@app.command()
def ingest(
    file: Annotated[
        Path, typer.Argument(help="CSV of profiles", exists=True, dir_okay=False, readable=True)
    ],
) -> None:
    """Upload a CSV to the server (INSIGHTA_URL), follow the job, print the summary.

    Exits 0 when the job COMPLETED, 1 when it FAILED, 2 when the upload was refused.
    """
    settings = Settings.from_env()
    client = GraphQLClient(settings.insighta_url, client_token(settings))
    raise typer.Exit(run_ingest(client, file, console))


def _admin_token(settings: Settings, key: Secret) -> str:
    return issue_token(
        key, role=Role.ADMIN, subject="admin", ttl=timedelta(seconds=settings.token_ttl_seconds)
    )


def main() -> None:
    app()
