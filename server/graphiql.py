"""GraphiQL served by the app itself: our page plus the committed vendor build, no CDN.

Assets live under `/graphiql/<version>/...`, where the version is a hash of their content, so
they can be cached for a year: a new build gets a new path. The page itself is never cached
for long, because it names the current version. `scripts/build_graphiql.sh` rebuilds vendor/.
"""

import functools
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

STATIC_DIR: Final = Path(__file__).parent / "static" / "graphiql"
ASSET_PREFIX: Final = "/graphiql"
GRAPHQL_PATH: Final = "/graphql"
IMMUTABLE: Final = "public, max-age=31536000, immutable"

# Everything the page loads comes from this server; websockets go to the same origin.
# GraphiQL (emotion, CodeMirror) sets inline styles, and its fonts are data: URLs.
PAGE_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_MEDIA_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(slots=True)
class _Asset:
    body: bytes
    media_type: str
    etag: str
    gzipped: bytes | None = field(default=None)


@dataclass(slots=True)
class GraphiQLAssets:
    """The page template and every asset, read once, keyed by path under the version."""

    template: str
    files: dict[str, _Asset]
    version: str

    @classmethod
    def load(cls, directory: Path = STATIC_DIR) -> "GraphiQLAssets":
        files: dict[str, _Asset] = {}
        digest = hashlib.sha256()
        for path in sorted(directory.rglob("*")):
            if not path.is_file() or path.name == "index.html":
                continue
            name = path.relative_to(directory).as_posix()
            body = path.read_bytes()
            file_digest = hashlib.sha256(body).hexdigest()
            digest.update(f"{name}\0{file_digest}\0".encode())
            media_type = _MEDIA_TYPES.get(path.suffix) or (
                mimetypes.guess_type(path.name)[0] or "text/plain; charset=utf-8"
            )
            files[name] = _Asset(body=body, media_type=media_type, etag=f'"{file_digest[:32]}"')
        template = (directory / "index.html").read_text()
        digest.update(template.encode())
        return cls(template=template, files=files, version=digest.hexdigest()[:16])

    def page(self, root_path: str = "") -> str:
        assets = f"{root_path}{ASSET_PREFIX}/{self.version}"
        return self.template.replace("{assets}", assets).replace(
            "{endpoint}", f"{root_path}{GRAPHQL_PATH}"
        )

    def response(self, version: str, name: str, accept_encoding: str) -> Response:
        asset = self.files.get(name)
        if version != self.version or asset is None:
            # An old version's path must not be answered with new content cached for a year.
            return PlainTextResponse("not found", status_code=404)
        headers = {
            "Cache-Control": IMMUTABLE,
            "ETag": asset.etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        body = asset.body
        if "gzip" in accept_encoding.lower() and len(body) > 1024:
            if asset.gzipped is None:
                # Compressed on first request and kept: graphiql.min.js goes 3.4 MB -> ~0.8 MB.
                asset.gzipped = gzip.compress(body, compresslevel=6, mtime=0)
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)


@functools.cache
def graphiql_assets() -> GraphiQLAssets:
    return GraphiQLAssets.load()


def graphiql_page(request: Request) -> Response:
    """Our GraphiQL page (what a browser gets from GET /graphql)."""
    html = graphiql_assets().page(request.scope.get("root_path", ""))
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": PAGE_SECURITY_POLICY,
            # The first load carries ?token= until the page strips it: never send it onwards.
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _asset(request: Request) -> Response:
    return graphiql_assets().response(
        request.path_params["version"],
        request.path_params["name"],
        request.headers.get("accept-encoding", ""),
    )


async def _home(request: Request) -> Response:
    """`/` is where people type first: send them to GraphiQL, keeping `?token=`."""
    query = request.url.query
    return RedirectResponse(GRAPHQL_PATH + (f"?{query}" if query else ""), status_code=307)


def graphiql_routes() -> list[BaseRoute]:
    return [
        Route(f"{ASSET_PREFIX}/{{version}}/{{name:path}}", _asset, methods=["GET", "HEAD"]),
        Route("/", _home, methods=["GET"]),
    ]
