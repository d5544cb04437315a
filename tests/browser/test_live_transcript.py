"""The live transcript page in a real browser: opened on an interview, it shows each turn the
agent appends, in order, as `[HH:MM:SS] Label: text`, over the authenticated subscription."""

import os
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import WAIT_MS, BrowserRecord
from tests.graph.interviews.conftest import recruiter
from tests.graph.interviews.documents import (
    APPEND_TURN,
    CREATE_CANDIDATE,
    CREATE_INTERVIEW,
    START_SESSION,
)
from tests.live_server import LiveServer, graphql_data

pytestmark = pytest.mark.browser


async def test_live_transcript_page_shows_turns_as_the_agent_appends_them(
    live_server: LiveServer, browser_page: tuple[Page, BrowserRecord], tmp_path: Path
) -> None:
    page, record = browser_page
    token = recruiter(f"live-page-{uuid.uuid4().hex[:8]}")
    candidate = await graphql_data(
        live_server, CREATE_CANDIDATE, {"input": {"name": "Ada", "email": "ada@example.com"}}, token
    )
    interview = await graphql_data(
        live_server,
        CREATE_INTERVIEW,
        {
            "input": {
                "candidateId": candidate["createCandidate"]["id"],
                "roleTitle": "Engineer",
                "jobDescription": "Python and PostgreSQL",
            }
        },
        token,
    )
    interview_id = interview["createInterview"]["id"]
    started = await graphql_data(live_server, START_SESSION, {"id": interview_id}, token)
    agent = started["startInterviewSession"]["agentApiToken"]

    query = urlencode({"interview": interview_id, "token": token})
    response = await page.goto(f"{live_server.base_url}/transcripts/live?{query}")
    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in (await response.header_value("content-security-policy") or "")
    status = page.locator("#status")
    await expect(status).to_have_text("Live: waiting for turns…", timeout=WAIT_MS)
    assert "token=" not in page.url, "the token must leave the address bar"
    assert f"interview={interview_id}" in page.url

    lines = page.locator("#transcript li")
    turns = [
        {"speaker": "ai", "text": "Tell me about PostgreSQL.", "timestampSec": 100},
        {"speaker": "candidate", "text": "I <3 MVCC & indexes.", "timestampSec": 3725},
    ]
    expected = [
        "[00:00:00] Meet Mind: Tell me about PostgreSQL.",
        "[01:00:25] Candidate: I <3 MVCC & indexes.",
    ]
    for number, turn in enumerate(turns, start=1):
        await graphql_data(
            live_server, APPEND_TURN, {"id": interview_id, "turn": {**turn, "sequenceNo": number}},
            agent,
        )  # fmt: skip
        # Each line appears while the page stays open: pushed, not fetched on load.
        await expect(lines).to_have_text(expected[:number], timeout=WAIT_MS)
    await expect(status).to_have_text("Live: 2 turns", timeout=WAIT_MS)

    # INSIGHTA_SCREENSHOT_DIR=docs/screenshots refreshes docs/interviews.md's picture.
    directory = Path(os.environ.get("INSIGHTA_SCREENSHOT_DIR") or tmp_path)
    screenshot = directory / "live-transcript.png"
    await page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    sent = record.messages("sent")
    assert sent[0] == {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    assert record.outside_requests == [], "the page must not reach beyond this server"
    assert record.errors == []


async def test_live_transcript_page_without_a_token_shows_the_refusal(
    live_server: LiveServer, browser_page: tuple[Page, BrowserRecord]
) -> None:
    page, _ = browser_page
    await page.goto(f"{live_server.base_url}/transcripts/live?interview={uuid.uuid4()}")
    status = page.locator("#status")
    await expect(status).to_have_class("error", timeout=WAIT_MS)
    await expect(status).to_contain_text("Stopped:", timeout=WAIT_MS)
    await expect(page.locator("#transcript li")).to_have_count(0)
