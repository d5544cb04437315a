"""A fake Resend API: POST /emails with Idempotency-Key, as Resend documents it.

A key seen before with the same body answers the first email's id and delivers nothing new;
the same key with another body is 409. `deliveries` holds each email actually accepted.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer, Handler

API_KEY = "re_fake_resend_key"

_ERROR_NAMES = {
    400: "validation_error",
    401: "missing_api_key",
    403: "invalid_api_key",
    409: "invalid_idempotent_request",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
    503: "application_error",
}


@dataclass
class FakeResend(FakeServer):
    api_key: str = API_KEY
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    _by_key: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/emails", self._send)]

    def error_response(self, status: int, retry_after: str | None) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {
            "statusCode": status,
            "name": _ERROR_NAMES.get(status, "application_error"),
            "message": f"fake Resend says {status}",
        }
        return web.json_response(body, status=status, headers=headers)

    def reset(self) -> None:
        super().reset()
        self.deliveries.clear()
        self._by_key.clear()

    async def _send(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self.error_response(403, None)
        email = json.loads(body)
        if not email.get("to") or not email.get("from") or not email.get("subject"):
            return self.error_response(422, None)
        key = request.headers.get("Idempotency-Key")
        if key is not None and key in self._by_key:
            email_id, first_body = self._by_key[key]
            if first_body != body:
                return self.error_response(409, None)
            return web.json_response({"id": email_id})
        email_id = str(uuid.uuid4())
        if key is not None:
            self._by_key[key] = (email_id, body)
        self.deliveries.append({"id": email_id, "idempotency_key": key, **email})
        return web.json_response({"id": email_id})
