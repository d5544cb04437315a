"""Headless Chromium for the browser tests, with a record of what each page did."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Request, Route, WebSocket, async_playwright

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
