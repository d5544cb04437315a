"""Browser frontends on other origins (server/cors.py): CORS preflights and headers from the app,
and the websocket `Origin` check (strawberry's `allowed_origins`, given the same list) on real
`insighta serve` processes started with a list, with `*` and without `CORS_ORIGINS`."""

import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from cli.subscriptions import GRAPHQL_TRANSPORT_WS
from server.app import create_app
from server.cors import PREFLIGHT_MAX_AGE_SECONDS
from services.platform.settings import Settings
from tests.conftest import make_token
from tests.polling import eventually
from tests.servers import Server, running_server

FRONTEND = "http://app.example.test:5173"
STRANGER = "https://evil.example.test"
QUERY = {"query": "{ profileStats(groupBy: []) { count } }"}
CLIENT_HEADERS = "authorization,content-type,apollo-require-preflight,x-apollo-operation-name"


def app_with(settings: Settings, pool: asyncpg.Pool, *origins: str) -> Starlette:
    return create_app(dataclasses.replace(settings, cors_origins=origins), pool=pool)


async def preflight(app: Starlette, origin: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.example.test"
    ) as http:
        return await http.options(
            "/graphql",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": CLIENT_HEADERS,
            },
        )


async def post_query(app: Starlette, origin: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.example.test"
    ) as http:
        return await http.post(
            "/graphql",
            json=QUERY,
            headers={"Origin": origin, "Authorization": f"Bearer {make_token()}", **headers},
        )


async def test_a_listed_origin_gets_its_preflight_answered(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    response = await preflight(app_with(settings, pool, "http://other.test", FRONTEND), FRONTEND)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    header = response.headers["access-control-allow-headers"]
    allowed = {name.strip().lower() for name in header.split(",")}
    assert set(CLIENT_HEADERS.split(",")) <= allowed
    assert {"GET", "POST"} <= set(response.headers["access-control-allow-methods"].split(", "))
    assert response.headers["access-control-max-age"] == str(PREFLIGHT_MAX_AGE_SECONDS)
    assert "origin" in response.headers["vary"].lower()


async def test_an_unlisted_origin_gets_its_preflight_refused(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    response = await preflight(app_with(settings, pool, FRONTEND), STRANGER)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_a_preflight_asking_for_another_header_is_refused(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_with(settings, pool, FRONTEND)),
        base_url="http://api.example.test",
    ) as http:
        response = await http.options(
            "/graphql",
            headers={
                "Origin": FRONTEND,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,x-not-allowed",
            },
        )
    assert response.status_code == 400


async def test_without_cors_origins_no_other_origin_is_allowed(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    app = app_with(settings, pool)
    assert "access-control-allow-origin" not in (await preflight(app, FRONTEND)).headers
    response = await post_query(app, FRONTEND)
    assert response.status_code == 200  # a same-origin page or a non-browser client
    assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_can_read_the_answer_and_its_request_id(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    response = await post_query(app_with(settings, pool, FRONTEND), FRONTEND)
    assert response.status_code == 200
    assert response.json()["data"]["profileStats"][0]["count"] >= 0
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "retry-after" in exposed


async def test_an_unlisted_origin_gets_no_cors_headers(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    # Without Access-Control-Allow-Origin the browser keeps the answer from the page (the
    # other CORS headers Starlette always adds mean nothing without it).
    response = await post_query(app_with(settings, pool, FRONTEND), STRANGER)
    assert "access-control-allow-origin" not in response.headers


async def test_any_origin_is_allowed_with_star_but_never_with_credentials(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    app = app_with(settings, pool, "*")
    answered = await preflight(app, STRANGER)
    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answered.headers
    # A request carrying a cookie still gets `*`, never its own origin echoed: the browser
    # then refuses to hand a credentialed answer to the page.
    response = await post_query(app, STRANGER, Cookie="session=1")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.fixture(scope="module")
async def servers(
    database_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Server]]:
    """Real servers as an operator starts them: with a list, with `*`, with nothing set."""
    directory = tmp_path_factory.mktemp("cors")
    environments = {"listed": FRONTEND, "any": "*", "unset": ""}
    async with (
        running_server(
            database_dsn, directory / "listed", directory / "listed.log",
            CORS_ORIGINS=environments["listed"], JOB_WORKER="false",
        ) as listed,
        running_server(
            database_dsn, directory / "any", directory / "any.log",
            CORS_ORIGINS=environments["any"], JOB_WORKER="false",
        ) as any_origin,
        running_server(
            database_dsn, directory / "unset", directory / "unset.log",
            CORS_ORIGINS=environments["unset"], JOB_WORKER="false",
        ) as unset,
    ):  # fmt: skip
        yield {"listed": listed, "any": any_origin, "unset": unset}


async def handshake(server: Server, origin: str | None) -> str:
    """The first answer to connection_init: `connection_ack`, or `refused <status>` when the
    server turned the websocket handshake down."""
    try:
        socket = await connect(
            server.url.replace("http", "ws", 1),
            subprotocols=[GRAPHQL_TRANSPORT_WS],
            origin=origin,  # type: ignore[arg-type]  # websockets types it as a plain str
            open_timeout=10,
        )
    except InvalidStatus as refused:
        return f"refused {refused.response.status_code}"
    async with socket:
        token = make_token()
        await socket.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            ).decode()
        )
        message: dict[str, str] = orjson.loads(await socket.recv(decode=False))
        return message["type"]


def own_origin(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    ("server", "origin", "expected"),
    [
        ("listed", FRONTEND, "connection_ack"),
        ("listed", STRANGER, "refused 403"),
        ("listed", "null", "refused 403"),  # a sandboxed frame or a file:// page
        ("listed", None, "connection_ack"),  # the CLI, scripts: no browser, no Origin
        ("listed", "own", "connection_ack"),  # a page served by this server (live transcript)
        ("any", STRANGER, "connection_ack"),
        ("unset", FRONTEND, "refused 403"),
        ("unset", None, "connection_ack"),
        ("unset", "own", "connection_ack"),
    ],
)
async def test_websockets_admit_listed_same_origin_and_non_browser_clients(
    servers: dict[str, Server], server: str, origin: str | None, expected: str
) -> None:
    target = servers[server]
    sent = own_origin(target) if origin == "own" else origin
    assert await handshake(target, sent) == expected


async def test_a_real_server_answers_preflights_from_cors_origins(
    servers: dict[str, Server],
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        listed = await http.options(
            servers["listed"].url,
            headers={
                "Origin": FRONTEND,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": CLIENT_HEADERS,
            },
        )
        unset = await http.options(
            servers["unset"].url,
            headers={"Origin": FRONTEND, "Access-Control-Request-Method": "POST"},
        )
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == FRONTEND
    assert "access-control-allow-origin" not in unset.headers


async def test_a_refused_websocket_is_logged_as_403(servers: dict[str, Server]) -> None:
    server = servers["unset"]
    assert await handshake(server, STRANGER) == "refused 403"

    async def refusals() -> list[dict[str, object]]:
        lines = [
            orjson.loads(line)
            for line in server.log.read_text().splitlines()
            if line.startswith("{")
        ]
        return [
            line for line in lines
            if line.get("kind") == "websocket" and line.get("status") == 403
        ]  # fmt: skip

    await eventually(refusals, message="a websocket line with status 403 in the access log")


async def test_the_banner_says_how_to_allow_a_frontend(servers: dict[str, Server]) -> None:
    """`serve` names the allowed origins, or, with none, the setting that allows one, each on
    one line whatever the width (a log file is no terminal: Rich would wrap at 80)."""
    lines = {name: server.log.read_text().splitlines() for name, server in servers.items()}
    assert f"Browser apps on other origins allowed (CORS_ORIGINS): {FRONTEND}" in lines["listed"]
    assert "Browser apps on other origins allowed (CORS_ORIGINS): *" in lines["any"]
    assert (
        "Browser apps on other origins: set CORS_ORIGINS, e.g. CORS_ORIGINS=http://localhost:5173"
        " (docs/api.md, Browser frontends)"
    ) in lines["unset"]
