"""Guards for request bodies on `/graphql`, applied before Strawberry reads them.

- CSRF: a browser may send a multipart form cross-site without a preflight; such a request
  must carry `Apollo-Require-Preflight` or `X-Apollo-Operation-Name` (as Apollo clients do),
  which a cross-site form cannot set.
- Size: Strawberry has no upload limit. The body is counted while it streams and refused with
  PAYLOAD_TOO_LARGE as soon as it passes the cap (at once when Content-Length says so); the
  request never reaches a resolver, so no job or spool file is made. Other bodies (JSON
  documents and variables) are held to `max_request_bytes` the same way.
"""

from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import error_response
from server.graphql_over_http import JSON, response_media_type
from services.errors import ErrorCode

PREFLIGHT_HEADERS: Final = ("apollo-require-preflight", "x-apollo-operation-name")
# Room for the multipart framing and the `operations`/`map` fields around the file itself;
# the file alone is held to MAX_UPLOAD_BYTES exactly when it is spooled.
FORM_OVERHEAD_BYTES: Final = 64 * 1024


class BodyTooLarge(Exception):
    """Raised from inside the view's body reads; the guard turns it into PAYLOAD_TOO_LARGE."""


class UploadGuard:
    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, max_request_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = response_media_type(headers.get("accept")) or JSON
        is_multipart = headers.get("content-type", "").lower().startswith("multipart/")
        if is_multipart and not any(headers.get(name) for name in PREFLIGHT_HEADERS):
            message = (
                "multipart requests need a preflight header (CSRF protection): send "
                "`Apollo-Require-Preflight: true` or `X-Apollo-Operation-Name`"
            )
            refused = error_response(ErrorCode.BAD_USER_INPUT, message, media_type=media_type)
            await refused(scope, receive, send)
            return
        if is_multipart:
            limit = self.max_upload_bytes + FORM_OVERHEAD_BYTES
            refusal = f"the upload is larger than the {self.max_upload_bytes}-byte limit"
        else:
            limit = self.max_request_bytes
            refusal = f"the request body is larger than the {self.max_request_bytes}-byte limit"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(refusal, media_type, scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:  # pragma: no cover - the body is read before any response starts
                raise
            await _refuse(refusal, media_type, scope, receive, send)


async def _refuse(
    message: str, media_type: str, scope: Scope, receive: Receive, send: Send
) -> None:
    refused = error_response(ErrorCode.PAYLOAD_TOO_LARGE, message, media_type=media_type)
    await refused(scope, receive, send)
