"""`insighta login --github` end to end: the CLI against a live server and the fake GitHub.

The browser is the one thing played here: `webbrowser.open` becomes an HTTP client that
follows redirects from the URL the CLI opens (the server's /auth/github/authorize, the fake
GitHub's consent, the CLI's own loopback callback), in a thread of its own as a browser is.
The CLI runs in a worker thread so the fake GitHub, served by this event loop, can answer.
"""

import asyncio
import threading
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.credentials import load_login
from cli.exit_codes import ExitCode
from cli.main import app
from tests.conftest import TEST_SECRET
from tests.fakes.github import CLIENT_ID, CLIENT_SECRET, FakeGitHub, new_github_user
from tests.graph.accounts.helpers import unique_email
from tests.live_server import LiveServer, start_live_server, stop_live_server

ME = "query { me { email role organisation } }"


@pytest.fixture(scope="module")
def github_server(
    database_dsn: str, tmp_path_factory: pytest.TempPathFactory, _github_server: FakeGitHub
) -> Iterator[LiveServer]:
    server = start_live_server(
        database_url=database_dsn,
        secret_key=TEST_SECRET.reveal(),
        directory=tmp_path_factory.mktemp("github-live-server"),
        env={
            "GITHUB_CLIENT_ID": CLIENT_ID,
            "GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "GITHUB_OAUTH_BASE_URL": _github_server.url,
            "GITHUB_API_BASE_URL": _github_server.url,
        },
    )
    yield server
    stop_live_server(server)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Response]:
    """Pages the played browser ended on, one per URL the CLI opened."""
    pages: list[httpx.Response] = []

    def open_url(url: str, new: int = 0, autoraise: bool = True) -> bool:
        def visit() -> None:
            with httpx.Client(follow_redirects=True, timeout=30) as client:
                pages.append(client.get(url))

        threading.Thread(target=visit, daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", open_url)
    return pages


async def test_login_with_github_stores_the_session_and_names_the_user(
    github_server: LiveServer,
    fake_github: FakeGitHub,
    browser: list[httpx.Response],
    tmp_path: Path,
) -> None:
    email = unique_email("hubot")
    fake_github.next_user = new_github_user("hubot", email)
    env: dict[str, str | None] = {
        "INSIGHTA_URL": github_server.graphql_url,
        "INSIGHTA_TOKEN": None,
        "HOME": str(tmp_path / "home"),
        "INSIGHTA_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": None,
        "COLUMNS": "200",
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, ["login", "--github"], env=env)
    assert result.exit_code == 0, result.output
    assert "Logged in as @hubot" in result.stdout
    (page,) = browser
    assert page.status_code == 200
    assert "you can close this window" in page.text
    # The code came back to the CLI's loopback port, and PKCE was S256.
    (authorize,) = fake_github.authorize_requests
    assert authorize["redirect_uri"].startswith("http://127.0.0.1:")
    assert authorize["code_challenge_method"] == "S256"

    stored = load_login(tmp_path / "home" / ".insighta" / "credentials.json")
    assert stored is not None
    assert stored.url == github_server.graphql_url
    async with httpx.AsyncClient() as client:
        response = await client.post(
            github_server.graphql_url,
            json={"query": ME},
            headers={"Authorization": f"Bearer {stored.token}"},
        )
    assert response.json()["data"]["me"]["email"] == email
    assert response.json()["data"]["me"]["role"] == "ADMIN"


async def test_login_with_github_on_an_unconfigured_server_fails_clearly(
    live_server: LiveServer, browser: list[httpx.Response], tmp_path: Path
) -> None:
    env: dict[str, str | None] = {
        "INSIGHTA_URL": live_server.graphql_url,
        "INSIGHTA_TOKEN": None,
        "HOME": str(tmp_path / "home"),
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, ["login", "--github"], env=env)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "GitHub sign-in is not configured on this server" in result.output
    assert browser == []  # no browser left on an error page
    assert not (tmp_path / "home" / ".insighta").exists()
