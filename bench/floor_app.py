"""The transport floor: a bare Starlette endpoint on uvicorn that reads the request body and
answers fixed bytes (Insighta's own page, captured by the benchmark), with the uvicorn options
`insighta serve` uses. Whatever Insighta costs above this is its own work, not the transport's.

`python -m bench.floor_app --port P --body FILE [--media-type TYPE]`, one process.
"""

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.http_protocol import CoalescingHttpToolsProtocol


def floor_app(body: bytes, media_type: str) -> Starlette:
    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type=media_type)

    async def healthz(request: Request) -> Response:
        return Response(b"ok", media_type="text/plain")

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the answer")
    parser.add_argument("--media-type", default="application/json")
    args = parser.parse_args()
    app = floor_app(args.body.read_bytes(), args.media_type)
    # As server/options.py: no access log, no logging config, no proxy headers, and each
    # response written in one piece.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        http=CoalescingHttpToolsProtocol,
    )


if __name__ == "__main__":
    main()
