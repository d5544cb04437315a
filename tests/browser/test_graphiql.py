"""GraphiQL in a real browser (headless Chromium): the link `insighta serve` prints opens a
working page with no outside request, the example query runs, and subscriptions go over the
same /graphql websocket with the token in connection_init.

Without Chromium these tests fail (never skip): install it (`apt-get install -y chromium`) or
deselect them on purpose with `-m "not browser"`. The live-transcript page (issue #6) has no
browser test yet: its subscription does not exist.
"""

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Request, Route, WebSocket, async_playwright

from tests.conftest import GraphQLCall
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM: Final = Path("/usr/bin/chromium")
LAUNCH_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS: Final = 15_000

TOUR_TOTAL = """
query { profiles(query: "young males from kenya", first: 5) { totalCount } }
"""


class BrowserRecord:
    """What the page did that a test wants to check afterwards."""

    def __init__(self) -> None:
        self.outside_requests: list[str] = []
        self.errors: list[str] = []
        self.frames: list[tuple[str, Any]] = []

    async def route(self, route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname not in {"127.0.0.1", "localhost"}:
            self.outside_requests.append(request.url)
            await route.abort()
            return
        await route.continue_()

    def watch_socket(self, socket: WebSocket) -> None:
        self.frames.append(("open", socket.url))
        socket.on("framesent", lambda payload: self.frames.append(("sent", payload)))
        socket.on("framereceived", lambda payload: self.frames.append(("received", payload)))

    def messages(self, direction: str) -> list[dict[str, Any]]:
        return [json.loads(data) for kind, data in self.frames if kind == direction]


@pytest.fixture
async def browser_page() -> AsyncIterator[tuple[Page, BrowserRecord]]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Chromium (`apt-get install -y chromium`) or "
            'deselect the browser tests on purpose with `-m "not browser"`'
        )
    record = BrowserRecord()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.route("**/*", record.route)
            page.on("pageerror", lambda error: record.errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    record.errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("websocket", record.watch_socket)
            yield page, record
        finally:
            await browser.close()


async def open_graphiql(page: Page, server: LiveServer) -> None:
    await page.goto(server.graphiql_url)
    await page.locator(".graphiql-execute-button").wait_for(timeout=WAIT_MS)


async def test_graphiql_from_the_printed_link_runs_the_example_query(
    live_server: LiveServer,
    browser_page: tuple[Page, BrowserRecord],
    demo_profiles: None,
    gql: GraphQLCall,
    tmp_path: Path,
) -> None:
    page, record = browser_page
    expected = (await gql(TOUR_TOTAL))["data"]["profiles"]["totalCount"]
    assert expected > 0

    await open_graphiql(page, live_server)
    assert "token=" not in page.url, "the token must leave the address bar"
    headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor").last
    assert live_server.admin_token[:40] in await headers_editor.inner_text()

    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".result-window")
    await result.get_by_text(f'"totalCount": {expected}').first.wait_for(timeout=WAIT_MS)
    assert '"errors"' not in await result.inner_text()

    # INSIGHTA_SCREENSHOT_DIR=docs/screenshots refreshes the README's picture.
    screenshot = Path(os.environ.get("INSIGHTA_SCREENSHOT_DIR") or tmp_path) / "graphiql.png"
    await page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert record.outside_requests == [], "GraphiQL must not reach beyond this server"
    assert record.errors == []


async def test_graphiql_subscriptions_use_the_graphql_websocket_with_the_token(
    live_server: LiveServer, browser_page: tuple[Page, BrowserRecord]
) -> None:
    page, record = browser_page
    await open_graphiql(page, live_server)
    await page.locator(".graphiql-tab").nth(2).click()
    await page.locator(".graphiql-query-editor .CodeMirror").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(
        'subscription Probe {\n  ingestionProgress(jobId: "0") { status }\n}\n'
    )
    # The run button uses the operation name GraphiQL parsed; the tab title shows it.
    await page.locator(".graphiql-tab").get_by_text("Probe").wait_for(timeout=WAIT_MS)
    await page.locator(".graphiql-execute-button").click()
    await page.locator(".result-window").get_by_text('"message"').first.wait_for(timeout=WAIT_MS)

    assert record.frames[0] == ("open", live_server.graphql_url.replace("http", "ws", 1))
    sent, received = record.messages("sent"), record.messages("received")
    assert sent[0] == {
        "type": "connection_init",
        "payload": {"Authorization": f"Bearer {live_server.admin_token}"},
    }
    assert received[0]["type"] == "connection_ack"
    subscribe = sent[1]
    assert subscribe["type"] == "subscribe"
    assert subscribe["payload"]["operationName"] == "Probe"
    # The server answered this subscription on the socket (an error until a job exists).
    assert any(message.get("id") == subscribe["id"] for message in received[1:])
    assert record.outside_requests == []
