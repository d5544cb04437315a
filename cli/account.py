"""`insighta login`, `logout` and `whoami`: which server the client commands talk to, as whom."""

import getpass
import sys
from typing import Annotated, Any, Final

import orjson
import typer
from rich.text import Text

from cli.client import Endpoint, InsightaClient, local_endpoint
from cli.credentials import StoredLogin, forget_login, save_login
from cli.errors import CommandError
from cli.exit_codes import ExitCode
from cli.github_login import sign_in_with_github
from cli.output import print_inert, reports_errors, stderr, stdout
from cli.profiles import PANEL
from services.platform.settings import DEFAULT_CLIENT_URL, ClientSettings

VIEWER: Final = "query CliViewer { viewer { subject role organisation expiresAt } }"


def login(
    url: Annotated[
        str | None,
        typer.Option(
            help=f"The server's GraphQL URL [default: INSIGHTA_URL or {DEFAULT_CLIENT_URL}]"
        ),
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="Bearer token; asked for (hidden) when not given")
    ] = None,
    github: Annotated[
        bool,
        typer.Option(
            "--github", help="Sign in with GitHub in the browser instead of giving a token"
        ),
    ] = False,
    invitation: Annotated[
        str | None,
        typer.Option(help="With --github: the invitation token a first sign-in joins by"),
    ] = None,
) -> None:
    """Check a token against a server and store both for the client commands (file mode 0600)."""
    settings = ClientSettings.from_env()
    target = url or settings.url or DEFAULT_CLIENT_URL
    if github:
        _login_with_github(settings, target, invitation)
        return
    secret = (token if token is not None else _ask_token()).strip()
    if not secret:
        raise CommandError("no token given", ExitCode.USAGE)
    with InsightaClient(Endpoint(target, secret, "the token given to login")) as client:
        viewer = client.execute(VIEWER)["viewer"]
    try:
        save_login(settings.credentials_path, StoredLogin(url=target, token=secret))
    except OSError as error:
        raise CommandError(
            f"cannot store the login in {settings.credentials_path}: {error.strerror}",
            ExitCode.FAILED,
        ) from None
    print_inert(stdout, f"logged in to {target} as {_identity(viewer)}")
    print_inert(stderr, f"saved to {settings.credentials_path}", style="dim")


def _login_with_github(settings: ClientSettings, target: str, invitation: str | None) -> None:
    def announce(url: str) -> None:
        print_inert(
            stderr,
            f"Opening your browser to sign in with GitHub; if it does not open, visit:\n{url}",
        )

    signed_in = sign_in_with_github(target, invitation=invitation, announce=announce)
    _store(settings, StoredLogin(url=target, token=signed_in.access_token))
    print_inert(stdout, f"Logged in as @{signed_in.github_login}")
    print_inert(stderr, f"saved to {settings.credentials_path}", style="dim")


def _store(settings: ClientSettings, stored: StoredLogin) -> None:
    try:
        save_login(settings.credentials_path, stored)
    except OSError as error:
        raise CommandError(
            f"cannot store the login in {settings.credentials_path}: {error.strerror}",
            ExitCode.FAILED,
        ) from None


def _ask_token() -> str:
    """The token, typed unseen on a terminal, else the first line of stdin; none: "".

    Not click's prompt: it turns Ctrl-C into an abort that exits 1 ("the server failed")
    instead of 130, and prints the prompt on stdout. getpass writes to the terminal and lets
    Ctrl-C through to `reports_errors`."""
    try:
        if sys.stdin.isatty():
            return getpass.getpass("Token: ")
        return sys.stdin.readline()
    except EOFError:
        return ""


def logout() -> None:
    """Forget the stored login."""
    path = ClientSettings.from_env().credentials_path
    print_inert(stdout, f"removed {path}" if forget_login(path) else "no stored login")


def whoami(
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Which server the client commands use, and who the token says you are."""
    endpoint = local_endpoint()
    with InsightaClient(endpoint) as client:
        viewer = client.execute(VIEWER)["viewer"]
    if json:
        result = {
            "url": endpoint.url,
            "urlSource": endpoint.url_source,
            "tokenSource": endpoint.token_source,
            **viewer,
        }
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    print_inert(stdout, Text("server", "bold"), f"        {endpoint.url}")
    print_inert(stdout, Text("server from", "bold"), f"   {endpoint.url_source}")
    print_inert(stdout, Text("you are", "bold"), f"       {_identity(viewer)}")
    print_inert(stdout, Text("token expires", "bold"), f" {viewer['expiresAt']}")
    print_inert(stdout, Text("token from", "bold"), f"    {endpoint.token_source}")


def _identity(viewer: dict[str, Any]) -> str:
    organisation = f", organisation {viewer['organisation']}" if viewer["organisation"] else ""
    return f"{viewer['subject']} ({viewer['role']}{organisation})"


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL)(reports_errors(login))
    app.command(rich_help_panel=PANEL)(reports_errors(logout))
    app.command(rich_help_panel=PANEL)(reports_errors(whoami))
