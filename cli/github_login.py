"""`insighta login --github`: Sign in with GitHub from a terminal, PKCE run by the CLI itself.

The CLI makes the state and the verifier and listens on 127.0.0.1 at a free port; the browser
opens the server's `/auth/github/authorize` (which adds the server's GitHub client id and
sends it to GitHub); GitHub redirects back to that port with the code; the CLI checks the
state and trades code and verifier through `signInWithGitHub`. The verifier never leaves this
process except to the server over the client's one connection, so a code caught on the way
back (another local program on the port, a browser extension) is useless without it.
"""

import secrets
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from cli.client import Endpoint, InsightaClient
from cli.errors import CommandError
from cli.exit_codes import ExitCode, exit_code_for

CALLBACK_PATH: Final = "/callback"
WAIT_SECONDS: Final = 300.0
PREFLIGHT_SECONDS: Final = 10.0
SIGN_IN_WITH_GITHUB: Final = """
mutation CliSignInWithGitHub(
  $code: String!, $codeVerifier: String!, $redirectUri: String!, $invitationToken: String
) {
  signInWithGitHub(
    code: $code, codeVerifier: $codeVerifier, redirectUri: $redirectUri,
    invitationToken: $invitationToken
  ) {
    githubLogin
    created
    session { accessToken }
  }
}
"""
_DONE_PAGE: Final = (
    b"<!doctype html><meta charset=utf-8><title>Insighta</title>"
    b"<p>Signed in: you can close this window and go back to the terminal.</p>"
)


@dataclass(frozen=True, slots=True)
class GitHubLogin:
    access_token: str
    github_login: str
    created: bool

    def __repr__(self) -> str:
        return f"GitHubLogin(github_login={self.github_login!r}, access_token='**********')"


def sign_in_with_github(
    graphql_url: str,
    *,
    invitation: str | None,
    announce: Callable[[str], None],
    wait_seconds: float = WAIT_SECONDS,
) -> GitHubLogin:
    """Run the flow; `announce(url)` tells the person which URL the browser should open."""
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(24)
    with _LoopbackCallback() as callback:
        redirect_uri = f"http://127.0.0.1:{callback.port}{CALLBACK_PATH}"
        query = urlencode(
            {
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        url = f"{_server_base(graphql_url)}/auth/github/authorize?{query}"
        _check_server_ready(url)
        announce(url)
        webbrowser.open(url)
        answer = callback.wait(wait_seconds)
    if answer is None:
        raise CommandError(
            f"no answer from the browser within {wait_seconds:.0f} s: run the command again",
            ExitCode.FAILED,
        )
    if not secrets.compare_digest(answer.get("state", "").encode(), state.encode()):
        raise CommandError(
            "the browser came back with another sign-in's state: run the command again",
            ExitCode.UNAUTHENTICATED,
        )
    if "error" in answer or not answer.get("code"):
        reason = answer.get("error", "no code")
        raise CommandError(f"GitHub did not sign you in ({reason})", ExitCode.UNAUTHENTICATED)
    variables = {
        "code": answer["code"],
        "codeVerifier": verifier,
        "redirectUri": redirect_uri,
        "invitationToken": invitation,
    }
    with InsightaClient(Endpoint(graphql_url, None, "Sign in with GitHub")) as client:
        result = client.execute(SIGN_IN_WITH_GITHUB, variables)["signInWithGitHub"]
    return GitHubLogin(
        access_token=result["session"]["accessToken"],
        github_login=result["githubLogin"],
        created=result["created"],
    )


def _check_server_ready(url: str) -> None:
    """Ask for the redirect ourselves first: a server without GitHub sign-in (or refusing our
    parameters) says so here, instead of leaving a browser on an error page and this command
    waiting for a callback that never comes."""
    try:
        response = httpx.get(url, follow_redirects=False, timeout=PREFLIGHT_SECONDS)
    except httpx.TransportError as error:
        raise CommandError(
            f"cannot reach {url.partition('?')[0]}: {error}", ExitCode.UNREACHABLE
        ) from None
    if response.status_code in (302, 303, 307):
        return
    try:
        first = response.json()["errors"][0]
        message, code = str(first["message"]), first["extensions"]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        message, code = f"the server answered HTTP {response.status_code}", None
    raise CommandError(message, exit_code_for(code))


def _server_base(graphql_url: str) -> str:
    """`http://host:8000/graphql` -> `http://host:8000`: the routes sit beside /graphql."""
    return graphql_url.rstrip("/").removesuffix("/graphql")


class _LoopbackCallback:
    """One-shot HTTP listener on 127.0.0.1 (never all interfaces) for GitHub's redirect."""

    def __init__(self) -> None:
        self._answer: dict[str, str] | None = None
        self._arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH or outer._arrived.is_set():
                    self.send_error(404)
                    return
                query = parse_qs(parts.query)
                outer._answer = {key: values[0] for key, values in query.items()}
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(_DONE_PAGE)
                outer._arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the code: keep it off the terminal

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "_LoopbackCallback":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, seconds: float) -> dict[str, str] | None:
        return self._answer if self._arrived.wait(seconds) else None
