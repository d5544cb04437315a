"""GraphiQL in a real browser (headless Chromium): the link `insighta serve` prints opens a
working page with no outside request, the example query runs, and subscriptions go over the
same /graphql websocket with the token in connection_init.

Without Chromium these tests fail (never skip): install it (`apt-get install -y chromium`) or
deselect them on purpose with `-m "not browser"`. The live-transcript page has its own test
(test_live_transcript.py); the Chromium fixture is in conftest.py.
"""

import os
from pathlib import Path

import pytest
from playwright.async_api import Page

from tests.browser.conftest import WAIT_MS, BrowserRecord
from tests.conftest import GraphQLCall
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

TOUR_TOTAL = """
query { profiles(query: "young males from kenya", first: 5) { totalCount } }
"""


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
