"""`insighta serve`: the server, on an embedded PostgreSQL when DATABASE_URL is unset, with a
banner that holds a ready-to-click GraphiQL link and an admin token."""

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console

from cli.data_dir import record_server
from services.auth.tokens import Role, issue_token
from services.platform.settings import Secret, Settings
from services.platform.structured_logging import configure_logging

console = Console()


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
        token = admin_token(settings, key)
        # Client commands run anywhere in the project find this and need no INSIGHTA_URL.
        record_server(settings.data_dir, f"http://{url_host(host)}:{port}/graphql")
        console.print(f"[bold]Insighta[/bold] GraphQL at [link]http://{host}:{port}/graphql[/link]")
        console.print("Admin token (paste into GraphiQL's headers as shown):")
        console.print(f'{{"Authorization": "Bearer {token}"}}', soft_wrap=True, highlight=False)
        console.print("GraphiQL, signed in as admin (the page then drops the token from the URL):")
        console.print(
            f"http://{browsable(host)}:{port}/graphql?token={token}",
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


def browsable(host: str) -> str:
    """A listen-on-all address is not one a browser can open; the loopback one always is."""
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def url_host(host: str) -> str:
    """The host as a URL needs it: `::1` -> `[::1]`."""
    shown = browsable(host)
    return f"[{shown}]" if ":" in shown else shown


def admin_token(settings: Settings, key: Secret) -> str:
    return issue_token(
        key, role=Role.ADMIN, subject="admin", ttl=timedelta(seconds=settings.token_ttl_seconds)
    )


def register(app: typer.Typer) -> None:
    app.command()(serve)
