"""Sign in with GitHub from a browser: the real routes, PKCE and state, against the fake GitHub.

The browser is an httpx client that follows redirects: our app in process (`testserver`), the
fake GitHub over real HTTP on 127.0.0.1, and the web app at APP_URL (`app.test`), which only
answers 200, so the redirect carrying the tokens in its fragment is the last in the history.
"""

import base64
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from server.app import create_app
from services.platform.settings import Secret, Settings
from tests.conftest import GraphQLCall
from tests.fakes.github import CLIENT_ID, CLIENT_SECRET, FakeGitHub, new_github_user
from tests.fakes.server import Fault
from tests.graph.accounts.helpers import (
    INVITE,
    ME,
    data,
    emailed_token,
    sign_up,
    unique_email,
)
from tests.graph.accounts.helpers import (
    code as code_of,
)

APP_URL: Final = "http://app.test"


@pytest.fixture
async def browser(
    settings: Settings, pool: asyncpg.Pool, fake_github: FakeGitHub
) -> AsyncIterator[httpx.AsyncClient]:
    configured = dataclasses.replace(
        settings,
        github_client_id=CLIENT_ID,
        github_client_secret=Secret(CLIENT_SECRET),
        github_oauth_base_url=fake_github.url,
        github_api_base_url=fake_github.url,
        app_url=APP_URL,
        upstream_timeout_seconds=1.0,
    )
    web_app = Starlette(routes=[Route("/{path:path}", lambda _: PlainTextResponse("web app"))])
    mounts = {
        "http://testserver": httpx.ASGITransport(app=create_app(configured, pool=pool)),
        APP_URL: httpx.ASGITransport(app=web_app),
    }
    async with httpx.AsyncClient(
        mounts=mounts, base_url="http://testserver", follow_redirects=True, timeout=10
    ) as client:
        yield client


def tokens_of(response: httpx.Response) -> dict[str, str]:
    """The fragment of the callback's redirect to the web app."""
    assert response.status_code == 200, response.text
    location = response.history[-1].headers["location"]
    assert location.startswith(f"{APP_URL}/auth/github#"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).fragment).items()}


def error_of(response: httpx.Response) -> dict[str, Any]:
    first: dict[str, Any] = response.json()["errors"][0]
    return first


async def test_pkce_flow_creates_an_account_and_its_organisation(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    email = unique_email("octo")
    fake_github.next_user = new_github_user("octocat", email, name="Mona Lisa")
    response = await browser.get("/auth/github/start")
    tokens = tokens_of(response)
    assert (tokens["github_login"], tokens["created"], tokens["token_type"]) == (
        "octocat",
        "true",
        "Bearer",
    )
    (authorize,) = fake_github.authorize_requests
    assert authorize["code_challenge_method"] == "S256"
    assert len(authorize["code_challenge"]) == 43
    assert authorize["state"]
    assert authorize["redirect_uri"] == "http://testserver/auth/github/callback"
    # The callback URL held the code and the state, never the tokens.
    assert "token" not in str(response.history[-1].url)

    me = data(await gql(ME, token=tokens["access_token"]))["me"]
    assert (me["email"], me["name"], me["role"]) == (email, "Mona Lisa", "ADMIN")
    async with pool.acquire() as conn:
        origin = await conn.fetchval(
            "select origin from organisations where slug = $1", me["organisation"]
        )
        has_password = await conn.fetchval(
            "select password_hash is not null from users where id = $1::uuid", me["id"]
        )
    assert origin == "sign_up"  # founded as a self-service signUp founds it
    assert has_password is False


async def test_a_second_sign_in_opens_the_same_account(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, gql: GraphQLCall
) -> None:
    fake_github.next_user = new_github_user("twice", unique_email("twice"))
    first = tokens_of(await browser.get("/auth/github/start"))
    second = tokens_of(await browser.get("/auth/github/start"))
    assert (first["created"], second["created"]) == ("true", "false")
    assert second["refresh_token"] != first["refresh_token"]
    me_first = data(await gql(ME, token=first["access_token"]))["me"]
    me_second = data(await gql(ME, token=second["access_token"]))["me"]
    assert me_first == me_second


async def test_an_invitation_joins_the_inviting_organisation(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin = await sign_up(gql)
    email = unique_email("invited")
    await gql(INVITE, {"email": email, "role": "ANALYST"}, token=admin.access_token)
    invitation = await emailed_token(pool, to=email, kind="user_invite")
    fake_github.next_user = new_github_user("invitee", email)
    tokens = tokens_of(await browser.get("/auth/github/start", params={"invitation": invitation}))
    me = data(await gql(ME, token=tokens["access_token"]))["me"]
    assert (me["organisation"], me["role"]) == (admin.organisation, "ANALYST")
    async with pool.acquire() as conn:
        accepted = await conn.fetchval(
            "select accepted_by = $1::uuid from invitations where email = $2", me["id"], email
        )
    assert accepted is True


async def test_an_invitation_for_another_address_is_refused(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin = await sign_up(gql)
    email = unique_email("meant")
    await gql(INVITE, {"email": email, "role": "ANALYST"}, token=admin.access_token)
    invitation = await emailed_token(pool, to=email, kind="user_invite")
    fake_github.next_user = new_github_user("other", unique_email("other"))
    response = await browser.get("/auth/github/start", params={"invitation": invitation})
    assert response.status_code == 400
    assert error_of(response)["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}


async def test_an_address_with_a_password_account_is_not_linked(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, gql: GraphQLCall
) -> None:
    existing = await sign_up(gql)
    fake_github.next_user = new_github_user("claimer", existing.email)
    response = await browser.get("/auth/github/start")
    assert response.status_code == 400
    assert "sign in with its password" in error_of(response)["message"]


async def _callback_url(browser: httpx.AsyncClient, fake_github: FakeGitHub) -> str:
    """Start a flow and let the fake GitHub consent: the callback URL the browser would open."""
    fake_github.next_user = new_github_user("stepwise", unique_email("step"))
    start = await browser.get("/auth/github/start", follow_redirects=False)
    assert start.status_code == 302
    consent = await browser.get(start.headers["location"], follow_redirects=False)
    assert consent.status_code == 302
    return consent.headers["location"]


async def test_a_state_that_does_not_match_is_refused(
    browser: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    callback = await _callback_url(browser, fake_github)
    forged = callback.replace("state=", "state=forged")
    response = await browser.get(forged)
    assert response.status_code == 401
    assert error_of(response)["extensions"]["code"] == "UNAUTHENTICATED"
    assert "state does not match" in error_of(response)["message"]
    assert not [r for r in fake_github.requests if r.path == "/login/oauth/access_token"]


async def test_a_callback_without_the_flow_cookie_is_refused(
    browser: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    callback = await _callback_url(browser, fake_github)
    browser.cookies.clear()  # another browser: someone else's callback link
    response = await browser.get(callback)
    assert response.status_code == 401
    assert error_of(response)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_replayed_callback_is_refused(
    browser: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    callback = await _callback_url(browser, fake_github)
    assert (await browser.get(callback)).status_code == 200
    replay = await browser.get(callback)
    assert replay.status_code == 401


async def test_a_verifier_github_refuses_is_unauthenticated(
    browser: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    fake_github.next_user = new_github_user("refused", unique_email("refused"))
    fake_github.reject_verifier = True
    response = await browser.get("/auth/github/start")
    assert response.status_code == 401
    assert error_of(response)["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("fault", [Fault.status(500), Fault.slow(3.0)], ids=["500", "timeout"])
async def test_a_failing_token_endpoint_is_upstream_unavailable(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, fault: Fault
) -> None:
    fake_github.next_user = new_github_user("down", unique_email("down"))
    fake_github.token_fault = fault
    response = await browser.get("/auth/github/start")
    assert response.status_code == 503
    assert error_of(response)["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"


@pytest.mark.parametrize("path", ["/auth/github/start", "/auth/github/callback?code=x&state=y"])
async def test_unconfigured_routes_answer_a_coded_error(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "GitHub sign-in is not configured on this server",
                "extensions": {"code": "NOT_FOUND"},
            }
        ],
    }


SIGN_IN_WITH_GITHUB: Final = """
mutation($code: String!, $verifier: String!, $redirectUri: String!) {
  signInWithGitHub(code: $code, codeVerifier: $verifier, redirectUri: $redirectUri) {
    githubLogin created session { accessToken tokenType user { email role } }
  }
}
"""
LOOPBACK: Final = "http://127.0.0.1:9/callback"


async def _code_for(browser: httpx.AsyncClient, fake_github: FakeGitHub, verifier: str) -> str:
    """What a client running its own flow (the CLI) gets back from GitHub's consent."""
    consent = await browser.get(
        f"{fake_github.url}/login/oauth/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": LOOPBACK,
            "state": "client-state",
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        },
        follow_redirects=False,
    )
    query = parse_qs(urlsplit(consent.headers["location"]).query)
    assert query["state"] == ["client-state"]
    return query["code"][0]


async def _sign_in_with_github(
    browser: httpx.AsyncClient, variables: dict[str, str]
) -> dict[str, Any]:
    response = await browser.post(
        "/graphql", json={"query": SIGN_IN_WITH_GITHUB, "variables": variables}
    )
    body: dict[str, Any] = response.json()
    return body


async def test_the_mutation_trades_a_code_and_its_verifier(
    browser: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    email = unique_email("cli")
    fake_github.next_user = new_github_user("terminal", email)
    verifier = "v" * 50
    code = await _code_for(browser, fake_github, verifier)
    body = await _sign_in_with_github(
        browser, {"code": code, "verifier": verifier, "redirectUri": LOOPBACK}
    )
    signed_in = data(body)["signInWithGitHub"]
    assert (signed_in["githubLogin"], signed_in["created"]) == ("terminal", True)
    assert signed_in["session"]["user"] == {"email": email, "role": "ADMIN"}


async def test_the_mutation_with_another_verifier_is_refused(
    browser: httpx.AsyncClient, fake_github: FakeGitHub, pool: asyncpg.Pool
) -> None:
    email = unique_email("stolen")
    fake_github.next_user = new_github_user("stolen", email)
    code = await _code_for(browser, fake_github, "v" * 50)
    body = await _sign_in_with_github(
        browser, {"code": code, "verifier": "w" * 50, "redirectUri": LOOPBACK}
    )
    assert code_of(body) == "UNAUTHENTICATED"
    async with pool.acquire() as conn:
        assert not await conn.fetchval(
            "select exists (select 1 from users where email = $1)", email
        )


async def test_the_mutation_refuses_a_redirect_off_this_machine(
    browser: httpx.AsyncClient,
) -> None:
    body = await _sign_in_with_github(
        browser,
        {"code": "x", "verifier": "v" * 50, "redirectUri": "https://evil.example/callback"},
    )
    assert code_of(body) == "BAD_USER_INPUT"


async def test_the_mutation_unconfigured_is_not_found(gql: GraphQLCall) -> None:
    body = await gql(
        SIGN_IN_WITH_GITHUB,
        {"code": "x", "verifier": "v" * 50, "redirectUri": LOOPBACK},
        token=None,
    )
    assert code_of(body) == "NOT_FOUND"
    assert body["errors"][0]["message"] == "GitHub sign-in is not configured on this server"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
