"""One access-log line per request (and per websocket), with its request id, the GraphQL
operation, the user, the status and the duration; plus the HTTP latency metric. The line is
JSON, or readable on a terminal (LOG_FORMAT, services/platform/structured_logging.py).

The middleware puts a `RequestRecord` in the ASGI scope; the GraphQL layer fills in what only
it knows (operation, user, error codes) and the middleware logs it when the response ends.
Paths are logged without their query string: export links carry tokens there.
"""

import logging
import random
import re
import time
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.core.request_record import RequestRecord
from services.platform.metrics import HTTP_REQUEST_SECONDS

logger = logging.getLogger(__name__)

RECORD_KEY: Final = "insighta.request"
# A caller's request id is kept (to follow a request across services) only when it is sane.
_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_record(scope: Scope) -> RequestRecord | None:
    record = scope.get(RECORD_KEY)
    return record if isinstance(record, RequestRecord) else None


def request_id_of(scope: Scope) -> str:
    """The request id the access log uses (a fresh one outside the middleware)."""
    record = request_record(scope)
    return record.request_id if record else _new_request_id()


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        record = RequestRecord(request_id=_incoming_request_id(scope) or _new_request_id())
        scope[RECORD_KEY] = record
        started = time.perf_counter()
        status = 0
        header = (b"x-request-id", record.request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.close" and status == 0:
                status = 403  # closed before the handshake: the ASGI server answers 403
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = status or 500
            raise
        finally:
            seconds = time.perf_counter() - started
            route = _route_label(scope)
            if scope["type"] == "http":
                _request_histogram(scope["method"], route, status).observe(seconds)
            logger.info("request", extra=_fields(scope, record, route, status, seconds))


# Each (method, route, status class)'s histogram, looked up once (`labels()` checks and locks
# on every call). Methods are the few httptools parses, routes the app's own.
_request_histograms: dict[tuple[str, str, int], Any] = {}


def _request_histogram(method: str, route: str, status: int) -> Any:
    key = (method, route, status // 100)
    histogram = _request_histograms.get(key)
    if histogram is None:
        histogram = HTTP_REQUEST_SECONDS.labels(
            method=method, route=route, status=f"{status // 100}xx"
        )
        if len(_request_histograms) < 1_000:
            _request_histograms[key] = histogram
    return histogram


def _new_request_id() -> str:
    """32 hex digits: unique enough to find a request's lines, and secret from nobody (it is
    sent back as X-Request-Id), so no system randomness is asked for each request."""
    return f"{random.getrandbits(128):032x}"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _REQUEST_ID.fullmatch(text) else None
    return None


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _fields(
    scope: Scope, record: RequestRecord, route: str, status: int, seconds: float
) -> dict[str, Any]:
    client = scope.get("client")
    fields: dict[str, Any] = {
        "request_id": record.request_id,
        "kind": scope["type"],
        "method": scope.get("method", "GET"),
        "path": scope["path"],
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "client": client[0] if client else None,
        "user": record.user,
        "role": record.role,
    }
    if record.operation_type is not None:
        fields["operation"] = record.operation
        fields["operation_type"] = record.operation_type
    if record.error_codes:
        fields["error_codes"] = record.error_codes
    return fields
