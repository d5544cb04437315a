"""The browser frontend in examples/web, built with npm and served from another origin than the
API: a real `insighta serve` started with `CORS_ORIGINS` naming that origin answers its
plain-English search and next page over cross-origin HTTP, and its `transcriptUpdates`
subscription over a cross-origin websocket receives a turn appended meanwhile. Its "Sign in
with GitHub" button runs the server's flow (PKCE and state) against the fake GitHub and comes
back to the app, signed in, with `APP_URL` naming the app's origin.

The build needs Node.js 20.19 or newer and npm (Vite 8); without them this test fails, naming
what is missing, as the other browser tests do without Chromium.
"""

import functools
import os
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import orjson
import pytest
from playwright.async_api import Page, expect

from services.auth.tokens import Role
from tests.browser.conftest import WAIT_MS, BrowserRecord
from tests.conftest import TEST_SECRET, make_token
from tests.fakes.github import CLIENT_ID, CLIENT_SECRET, FakeGitHub, new_github_user
from tests.graph.accounts.helpers import ME, unique_email
from tests.graph.interviews.conftest import recruiter
from tests.graph.interviews.documents import (
    APPEND_TURN,
    CREATE_CANDIDATE,
    CREATE_INTERVIEW,
    START_SESSION,
)
from tests.live_server import (
    LiveServer,
    free_port,
    graphql_data,
    start_live_server,
    stop_live_server,
)
from tests.polling import eventually

pytestmark = pytest.mark.browser

ROOT: Final = Path(__file__).resolve().parents[2]
EXAMPLE: Final = ROOT / "examples" / "web"
# What a fresh checkout holds; node_modules, dist and the generated src/gql/ are left behind.
SOURCES: Final = (
    "package.json",
    "package-lock.json",
    "codegen.ts",
    "tsconfig.json",
    "vite.config.ts",
    "index.html",
)
SOURCE_DIRS: Final = ("src", "public")
NODE_MINIMUM: Final = (20, 19)
NPM_SECONDS: Final = 300
PAGE_SIZE: Final = 5  # examples/web/src/main.ts
SEARCH: Final = "adults"
PAGE = """
query($query: String!, $after: String) {
  profiles(query: $query, first: 5, after: $after) {
    totalCount edges { node { name } } pageInfo { endCursor }
  }
}
"""


@pytest.fixture(scope="module")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/web built as its README says (`npm ci && npm run build`), in a copy: the
    checkout's node_modules and dist stay untouched, and parallel runs do not share them."""
    _require_node()
    work = tmp_path_factory.mktemp("web")
    for name in SOURCES:
        shutil.copy2(EXAMPLE / name, work / name)
    for folder in SOURCE_DIRS:
        shutil.copytree(EXAMPLE / folder, work / folder, ignore=shutil.ignore_patterns("gql"))
    environment = {**os.environ, "INSIGHTA_SCHEMA": str(ROOT / "schema.graphql")}
    for command in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "build"]):
        done = subprocess.run(
            command, cwd=work, env=environment, capture_output=True, text=True, timeout=NPM_SECONDS
        )
        if done.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` in a copy of examples/web failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
    return work / "dist"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def frontend_origin(built_example: Path) -> Iterator[str]:
    """The built files from a plain static server on its own port: another origin than the
    API's (same host, another port)."""
    handler = functools.partial(_QuietHandler, directory=str(built_example))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def cors_server(
    database_dsn: str,
    frontend_origin: str,
    _github_server: FakeGitHub,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The API, allowing the app's origin; GitHub sign-in at the fake GitHub, coming back to
    the app (APP_URL)."""
    server = start_live_server(
        database_url=database_dsn,
        secret_key=TEST_SECRET.reveal(),
        directory=tmp_path_factory.mktemp("web-api"),
        env={
            "CORS_ORIGINS": frontend_origin,
            "APP_URL": frontend_origin,
            "GITHUB_CLIENT_ID": CLIENT_ID,
            "GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "GITHUB_OAUTH_BASE_URL": _github_server.url,
            "GITHUB_API_BASE_URL": _github_server.url,
        },
    )
    yield server
    stop_live_server(server)


async def test_the_web_example_on_another_origin_searches_pages_and_follows_a_transcript(
    cors_server: LiveServer,
    frontend_origin: str,
    browser_page: tuple[Page, BrowserRecord],
    demo_profiles: None,
) -> None:
    page, record = browser_page
    # Playwright answers CORS preflights itself while it intercepts requests: stop intercepting,
    # so the browser's own preflights reach the server, and watch the requests instead.
    await page.unroute("**/*")
    hosts: set[str | None] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    analyst = make_token(Role.ANALYST)
    first = (await graphql_data(cors_server, PAGE, {"query": SEARCH}, analyst))["profiles"]
    second = (
        await graphql_data(
            cors_server, PAGE, {"query": SEARCH, "after": first["pageInfo"]["endCursor"]}, analyst
        )
    )["profiles"]
    assert first["totalCount"] > 2 * PAGE_SIZE
    assert frontend_origin != cors_server.base_url, "the page must be on another origin"

    query = urlencode({"api": cors_server.graphql_url, "token": analyst})
    await page.goto(f"{frontend_origin}/?{query}")
    assert "token=" not in page.url, "the token must leave the address bar"

    # A plain-English search, then the next page (the keyset cursor from the first).
    names = page.locator("#profiles tbody tr td:first-child")
    await page.locator("#query").fill(SEARCH)
    await page.locator("#search button").click()
    await expect(page.locator("#summary")).to_have_text(
        f"{first['totalCount']} profiles, page 1", timeout=WAIT_MS
    )
    await expect(names).to_have_text([edge["node"]["name"] for edge in first["edges"]])
    await page.locator("#next-page").click()
    await expect(page.locator("#summary")).to_have_text(
        f"{first['totalCount']} profiles, page 2", timeout=WAIT_MS
    )
    await expect(names).to_have_text([edge["node"]["name"] for edge in second["edges"]])

    # The live transcript, with a recruiter's token typed into the form.
    token = recruiter(f"web-{uuid.uuid4().hex[:8]}")
    interview_id, agent = await started_interview(cors_server, token)
    await page.locator("#token").fill(token)
    await page.locator("#connection button").click()
    await page.locator("#interview").fill(interview_id)
    await page.locator("#watch button").click()
    status = page.locator("#transcript-status")
    await expect(status).to_have_text("Live: waiting for turns…", timeout=WAIT_MS)

    async def subscribed() -> list[dict[str, Any]]:
        return [m for m in record.messages("sent") if m.get("type") == "subscribe"]

    await eventually(subscribed, message="the page to send its subscription", within=15)
    await graphql_data(
        cors_server,
        APPEND_TURN,
        {"id": interview_id, "turn": {"speaker": "candidate", "text": "Keyset paging, always.",
                                      "timestampSec": 5, "sequenceNo": 1}},
        agent,
    )  # fmt: skip
    await expect(page.locator("#turns li")).to_have_text(
        ["[00:00:00] Candidate: Keyset paging, always."], timeout=WAIT_MS
    )
    await expect(status).to_have_text("Live: 1 turn")

    # Over a websocket to the API's origin, authenticated in connection_init.
    sockets = [url for kind, url in record.frames if kind == "open"]
    assert sockets == [cors_server.graphql_url.replace("http", "ws", 1)]
    init = [m for m in record.messages("sent") if m.get("type") == "connection_init"]
    assert init[-1]["payload"] == {"Authorization": f"Bearer {token}"}
    # The browser asked before each cross-origin POST, and the server said yes.
    access = [orjson.loads(line) for line in cors_server.log_lines() if line.startswith("{")]
    preflights = [
        line
        for line in access
        if line.get("method") == "OPTIONS" and line.get("path") == "/graphql"
    ]
    assert preflights
    assert {line["status"] for line in preflights} == {200}
    assert hosts == {"127.0.0.1"}, "the page must reach nothing but its server and the API"
    assert record.errors == []


async def test_the_web_example_signs_in_with_github(
    cors_server: LiveServer,
    frontend_origin: str,
    browser_page: tuple[Page, BrowserRecord],
    fake_github: FakeGitHub,
) -> None:
    page, record = browser_page
    login, email = f"web-{uuid.uuid4().hex[:8]}", unique_email("web")
    fake_github.next_user = new_github_user(login, email, name="Web Person")
    await page.goto(f"{frontend_origin}/?{urlencode({'api': cors_server.graphql_url})}")
    await page.locator("#github-sign-in").click()

    # The API, the fake GitHub, the API's callback, then APP_URL/auth/github with the tokens
    # in the fragment, which hands them to the app and leaves the address bar clean.
    await expect(page.locator("#connection-status")).to_have_text(
        f"Signed in with GitHub as @{login}", timeout=WAIT_MS
    )
    assert page.url == f"{frontend_origin}/", "the tokens must leave the address bar"
    assert await page.locator("#api-url").input_value() == cors_server.graphql_url
    (authorize,) = fake_github.authorize_requests
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["state"]
    token = await page.locator("#token").input_value()
    me = (await graphql_data(cors_server, ME, {}, token))["me"]
    assert (me["email"], me["role"]) == (email, "ADMIN")
    assert record.errors == []


async def started_interview(server: LiveServer, token: str) -> tuple[str, str]:
    """An interview with a started session: its id and the interviewer agent's token."""
    candidate = await graphql_data(
        server, CREATE_CANDIDATE, {"input": {"name": "Ada", "email": "ada@example.com"}}, token
    )
    interview = await graphql_data(
        server,
        CREATE_INTERVIEW,
        {
            "input": {
                "candidateId": candidate["createCandidate"]["id"],
                "roleTitle": "Engineer",
                "jobDescription": "TypeScript and GraphQL",
            }
        },
        token,
    )
    interview_id: str = interview["createInterview"]["id"]
    started = await graphql_data(server, START_SESSION, {"id": interview_id}, token)
    agent: str = started["startInterviewSession"]["agentApiToken"]
    return interview_id, agent


def _require_node() -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.fail(
            "npm and Node.js are needed to build examples/web (Node.js 20.19 or newer, for "
            "Vite 8): install them, or deselect this test on purpose with "
            '`-k "not web_example"`'
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    found = re.match(r"v(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < NODE_MINIMUM:
        pytest.fail(f"examples/web needs Node.js 20.19 or newer (Vite 8); found {version!r}")
