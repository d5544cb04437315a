"""Browser frontends on other origins: CORS on HTTP from `CORS_ORIGINS`
(services/platform/settings.py), exact origins or `*` alone. Unset, no CORS header is sent and
browsers keep pages to this server's own origin.

Browsers apply no CORS to websockets: the same list goes to strawberry's `allowed_origins`
(server/app.py), which refuses a handshake from any other origin with 403 and always admits
clients that send no `Origin` (the CLI, scripts) and pages served by this server.
"""

from typing import Final

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ANY_ORIGIN: Final = "*"
ALLOWED_METHODS: Final = ("GET", "POST")
# What GraphQL clients send beyond the CORS-safelisted headers: the bearer token, the JSON
# content type, the multipart preflight header server/uploads.py demands (Apollo Client sends
# it, with the operation name), a request id to follow (server/access_log.py keeps it), and
# the ETag of an answer the page holds (server/response_cache.py).
ALLOWED_HEADERS: Final = (
    "Authorization",
    "Content-Type",
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
    "X-Request-Id",
    "If-None-Match",
)
# Readable by the page: the id of a masked INTERNAL error, when to retry after a 429, and the
# ETag to revalidate with.
EXPOSED_HEADERS: Final = ("X-Request-Id", "Retry-After", "ETag")
# Ten minutes: a browser caches a preflight that long, so a changed CORS_ORIGINS reaches open
# pages within it (Chromium caps any longer value at two hours anyway).
PREFLIGHT_MAX_AGE_SECONDS: Final = 600


def cors_middleware(origins: tuple[str, ...]) -> list[Middleware]:
    """CORS for the listed origins; nothing when there are none (same origin only)."""
    if not origins:
        return []
    any_origin = origins == (ANY_ORIGIN,)
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(ALLOWED_METHODS),
            allow_headers=list(ALLOWED_HEADERS),
            # With `*`, allowing credentials makes Starlette echo the caller's origin, i.e.
            # trust every site with the visitor's cookies: `*` never allows credentials.
            allow_credentials=not any_origin,
            expose_headers=list(EXPOSED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
    ]
