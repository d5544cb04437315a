"""The live transcript page: static HTML that follows `transcriptUpdates` in the browser.

`GET /transcripts/live?interview=<id>&token=<token>` needs no permission because it carries no
data: the page subscribes over the authenticated /graphql websocket (token in connection_init),
so what a visitor sees is exactly what that token may read. Its script and stylesheet are
served with GraphiQL's assets under the content-hashed path (graphql-ws is shared).
"""

import functools
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from server.graphiql import ASSET_PREFIX, GRAPHQL_PATH, graphiql_assets

TEMPLATE: Final = Path(__file__).parent / "static" / "live" / "live-transcript.html"
LIVE_PATH: Final = "/transcripts/live"

# Stricter than GraphiQL's: no inline styles and no data: URLs are needed here.
LIVE_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@functools.cache
def _template() -> str:
    return TEMPLATE.read_text()


def live_transcript_html(root_path: str = "") -> str:
    assets = f"{root_path}{ASSET_PREFIX}/{graphiql_assets().version}"
    return (
        _template().replace("{assets}", assets).replace("{endpoint}", f"{root_path}{GRAPHQL_PATH}")
    )


async def _page(request: Request) -> Response:
    return HTMLResponse(
        live_transcript_html(request.scope.get("root_path", "")),
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": LIVE_SECURITY_POLICY,
            # The first load carries ?token= until the script strips it: never send it onwards.
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


def live_transcript_routes() -> list[BaseRoute]:
    return [Route(LIVE_PATH, _page, methods=["GET", "HEAD"])]
