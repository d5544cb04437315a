"""Signing in, rotating refresh tokens (reuse revokes the family), signing out, bad tokens."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from websockets.asyncio.client import connect

from cli.subscriptions import GRAPHQL_TRANSPORT_WS
from services.auth.opaque_tokens import token_digest
from services.auth.tokens import Role, issue_token
from services.platform.settings import Secret
from tests.conftest import TEST_SECRET, GraphQLCall, make_token
from tests.graph.accounts.helpers import (
    LOGIN,
    LOGOUT,
    ME,
    PASSWORD,
    REFRESH,
    SET_ACTIVE,
    SIGN_UP,
    Account,
    code,
    data,
    error,
    sign_up,
    unique_email,
)
from tests.live_server import LiveServer


@pytest.fixture(scope="module")
async def known(gql: GraphQLCall) -> Account:
    return await sign_up(gql)


async def test_login_returns_a_working_session(gql: GraphQLCall, known: Account) -> None:
    session = data(
        await gql(LOGIN, {"email": f" {known.email.upper()}", "password": PASSWORD}, token=None)
    )["login"]
    assert session["user"]["id"] == known.id
    assert session["tokenType"] == "Bearer"
    assert data(await gql(ME, token=session["accessToken"]))["me"]["id"] == known.id


async def test_a_wrong_password_and_an_unknown_email_get_one_answer(
    gql: GraphQLCall, known: Account
) -> None:
    wrong_password = await gql(
        LOGIN, {"email": known.email, "password": "not it at all"}, token=None
    )
    unknown_email = await gql(LOGIN, {"email": unique_email(), "password": PASSWORD}, token=None)
    malformed = await gql(LOGIN, {"email": "nul\x00", "password": PASSWORD}, token=None)
    for body in (wrong_password, unknown_email, malformed):
        assert code(body) == "UNAUTHENTICATED"
        assert error(body)["message"] == "invalid email or password"


async def test_login_and_refresh_ignore_a_stale_authorization_header(
    gql: GraphQLCall, known: Account
) -> None:
    expired = make_token(ttl=-10)
    body = await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=expired)
    session = data(body)["login"]
    assert data(await gql(REFRESH, {"token": session["refreshToken"]}, token="garbage"))


async def test_a_refresh_token_works_once_and_rotates(gql: GraphQLCall, known: Account) -> None:
    first = data(await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=None))[
        "login"
    ]
    second = data(await gql(REFRESH, {"token": first["refreshToken"]}, token=None))["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert data(await gql(ME, token=second["accessToken"]))["me"]["id"] == known.id
    third = data(await gql(REFRESH, {"token": second["refreshToken"]}, token=None))
    assert third["refreshToken"]["user"]["id"] == known.id


async def test_reusing_a_refresh_token_revokes_its_whole_family(
    gql: GraphQLCall, known: Account
) -> None:
    stolen = data(await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=None))[
        "login"
    ]["refreshToken"]
    other_sign_in = data(
        await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=None)
    )["login"]["refreshToken"]
    legit = data(await gql(REFRESH, {"token": stolen}, token=None))["refreshToken"]
    replay = await gql(REFRESH, {"token": stolen}, token=None)
    assert code(replay) == "UNAUTHENTICATED"
    assert "already used" in error(replay)["message"]
    # the rotated token of that family is dead too; another sign-in is untouched
    assert code(await gql(REFRESH, {"token": legit["refreshToken"]}, token=None)) == (
        "UNAUTHENTICATED"
    )
    assert data(await gql(REFRESH, {"token": other_sign_in}, token=None))


async def test_logout_revokes_the_family_and_is_always_true(
    gql: GraphQLCall, known: Account
) -> None:
    session = data(await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=None))[
        "login"
    ]
    rotated = data(await gql(REFRESH, {"token": session["refreshToken"]}, token=None))
    assert data(await gql(LOGOUT, {"token": session["refreshToken"]}, token=None))["logout"]
    assert code(
        await gql(REFRESH, {"token": rotated["refreshToken"]["refreshToken"]}, token=None)
    ) == ("UNAUTHENTICATED")
    for junk in ("", "x" * 10_000, "unknown-token"):
        assert data(await gql(LOGOUT, {"token": junk}, token=None))["logout"] is True


async def test_an_expired_refresh_token_is_refused(
    gql: GraphQLCall, known: Account, pool: asyncpg.Pool
) -> None:
    session = data(await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=None))[
        "login"
    ]
    async with pool.acquire() as conn:
        await conn.execute(
            "update refresh_tokens set expires_at = now() - interval '1 second'"
            " where token_hash = $1",
            token_digest(session["refreshToken"]),
        )
    body = await gql(REFRESH, {"token": session["refreshToken"]}, token=None)
    assert code(body) == "UNAUTHENTICATED"
    assert "expired" in error(body)["message"]


@pytest.mark.parametrize("token", ["", "x" * 500, "not-a-token", "é\x00"])
async def test_junk_refresh_tokens_are_unauthenticated(gql: GraphQLCall, token: str) -> None:
    assert code(await gql(REFRESH, {"token": token}, token=None)) == "UNAUTHENTICATED"


async def test_a_lone_surrogate_in_a_token_is_an_answer_not_a_crash(
    client: httpx.AsyncClient,
) -> None:
    # json.dumps escapes it as \\ud800, which no UTF-8 encoder would send raw.
    content = json.dumps({"query": REFRESH, "variables": {"token": "\ud800"}})
    response = await client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400)
    assert code(response.json()) in ("UNAUTHENTICATED", "BAD_USER_INPUT")


def _hostile_tokens(user_id: str) -> dict[str, str]:
    now = datetime.now(UTC)
    claims = {
        "iss": "insighta",
        "sub": f"user:{user_id}",
        "role": "admin",
        "org": "x",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    return {
        "expired": issue_token(
            TEST_SECRET, role=Role.ADMIN, subject=f"user:{user_id}", ttl=timedelta(seconds=-1)
        ),
        "other-key": jwt.encode(
            claims, "another key entirely, 32 bytes or more", algorithm="HS256"
        ),
        "alg-none": jwt.encode(claims, "", algorithm="none"),
        "alg-none-unsigned-admin": jwt.encode({**claims, "org": None}, "", algorithm="none"),
        "tampered": _tampered(
            issue_token(TEST_SECRET, role=Role.ANALYST, subject="x", ttl=timedelta(hours=1))
        ),
        "bad-user-subject": issue_token(
            TEST_SECRET, role=Role.ADMIN, subject="user:not-a-uuid", ttl=timedelta(hours=1)
        ),
        "unknown-user": issue_token(
            TEST_SECRET,
            role=Role.ADMIN,
            subject="user:0190a3b4-0000-7000-8000-000000000000",
            organisation="x",
            ttl=timedelta(hours=1),
        ),
        "not-a-jwt": "a.b.c",
        "huge": "x" * 100_000,
    }


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"analyst"', b'"admin"')
    ).decode()
    return f"{header}.{forged}.{signature}"


async def test_hostile_access_tokens_are_unauthenticated(
    client: httpx.AsyncClient, known: Account
) -> None:
    for name, token in _hostile_tokens(known.id).items():
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, name
        assert code(response.json()) == "UNAUTHENTICATED", name


async def test_a_token_signed_with_another_servers_key_is_refused(gql: GraphQLCall) -> None:
    token = issue_token(Secret("k" * 40), role=Role.ADMIN, subject="x", ttl=timedelta(hours=1))
    assert code(await gql(ME, token=token)) == "UNAUTHENTICATED"


async def test_two_refreshes_racing_with_one_token_leave_no_live_session(
    gql: GraphQLCall, known: Account
) -> None:
    session = data(await gql(LOGIN, {"email": known.email, "password": PASSWORD}, token=None))
    token = session["login"]["refreshToken"]
    first, second = await asyncio.gather(
        gql(REFRESH, {"token": token}, token=None), gql(REFRESH, {"token": token}, token=None)
    )
    winners = [body for body in (first, second) if "errors" not in body]
    losers = [body for body in (first, second) if "errors" in body]
    assert len(winners) == len(losers) == 1  # the row lock serialises them
    assert "already used" in error(losers[0])["message"]
    # the replay revoked the family, the winner's fresh token included
    fresh = winners[0]["data"]["refreshToken"]["refreshToken"]
    assert code(await gql(REFRESH, {"token": fresh}, token=None)) == "UNAUTHENTICATED"


TRANSCRIPT_UPDATES = "subscription($id: ID!) { transcriptUpdates(interviewId: $id) { sequenceNo } }"


async def _subscribe_later(
    live_server: LiveServer, token: str, meanwhile: Callable[[], Awaitable[object]]
) -> str:
    """The error code of a subscription sent on a socket opened with `token`, after
    `meanwhile` ran (an unknown interview, so an accepted token answers NOT_FOUND)."""
    url = live_server.graphql_url.replace("http", "ws", 1)
    async with connect(url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as socket:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await meanwhile()
        variables = {"id": "0190a3b4-0000-7000-8000-000000000000"}
        payload = {"query": TRANSCRIPT_UPDATES, "variables": variables}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = json.loads(await asyncio.wait_for(socket.recv(), 30))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    value: str = errors[0]["extensions"]["code"]
    return value


async def test_a_websocket_does_not_outlive_its_token_or_account(
    live_server: LiveServer,
) -> None:
    async def nothing() -> None:
        return None

    async def expire() -> None:
        await asyncio.sleep(2)

    assert await _subscribe_later(live_server, make_token(), nothing) == "NOT_FOUND"
    # the token expires while the socket stays open: later operations on it are refused
    assert await _subscribe_later(live_server, make_token(ttl=1.5), expire) == "UNAUTHENTICATED"

    async def live(query: str, variables: dict[str, object], token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                live_server.graphql_url,
                json={"query": query, "variables": variables},
                headers=headers,
            )
        return answer.json()

    signed_up = await live(
        SIGN_UP, {"input": {"email": unique_email(), "password": PASSWORD}}, None
    )
    user = data(signed_up)["signUp"]

    async def disable() -> None:
        body = await live(SET_ACTIVE, {"id": user["user"]["id"], "active": False}, make_token())
        assert data(body)["setUserActive"]["active"] is False

    assert await _subscribe_later(live_server, user["accessToken"], disable) == "UNAUTHENTICATED"
