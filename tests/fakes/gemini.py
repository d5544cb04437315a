"""A fake Gemini REST API: generateContent, embedContent and batchEmbedContents, v1 and v1beta.

Without a scripted reply, generateContent answers with JSON built from the request's response
schema (strings, arrays of two items, numbers within their bounds), or with plain text when
no schema was asked for; `reply(obj)` queues an exact answer instead. Embeddings are
deterministic vectors derived from each text, so equal texts embed equally.
"""

import hashlib
import json
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer, Handler

API_KEY = "fake-gemini-key"
EMBEDDING_DIMENSIONS = 8

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class FakeGemini(FakeServer):
    api_key: str = API_KEY
    _replies: deque[str] = field(default_factory=deque)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("POST", "/{version:v1|v1beta}/models/{call}", self._call)]

    def reply(self, value: Any) -> None:
        """The next generateContent answers with this (JSON-encoded unless a str)."""
        self._replies.append(value if isinstance(value, str) else json.dumps(value))

    def reset(self) -> None:
        super().reset()
        self._replies.clear()

    def error_response(self, status: int, retry_after: str | None) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {
            "error": {
                "code": status,
                "message": f"fake Gemini says {status}",
                "status": _STATUS_NAMES.get(status, "UNKNOWN"),
            }
        }
        return web.json_response(body, status=status, headers=headers)

    def generate_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every generateContent request received."""
        return [
            json.loads(request.body)
            for request in self.requests
            if request.path.endswith(":generateContent")
        ]

    async def _call(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if request.headers.get("x-goog-api-key") != self.api_key:
            return self.error_response(403, None)
        model, _, method = request.match_info["call"].partition(":")
        payload = json.loads(body or b"{}")
        if method == "generateContent":
            return web.json_response(self._generate(model, payload))
        if method == "batchEmbedContents":
            embeddings = [
                _embedding(_text_of(item.get("content", {}))) for item in payload["requests"]
            ]
            return web.json_response({"embeddings": embeddings})
        if method == "embedContent":
            return web.json_response(
                {"embedding": _embedding(_text_of(payload.get("content", {})))}
            )
        return self.error_response(404, None)

    def _generate(self, model: str, payload: dict[str, Any]) -> dict[str, Any]:
        config = payload.get("generationConfig") or {}
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        if self._replies:
            text = self._replies.popleft()
        elif schema is not None:
            text = json.dumps(_instance_of(schema, "value", 0))
        else:
            text = "A fake Gemini answer."
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10},
            "modelVersion": model,
        }


def _text_of(content: dict[str, Any]) -> str:
    return " ".join(str(part.get("text", "")) for part in content.get("parts", []))


def _embedding(text: str) -> dict[str, list[float]]:
    digest = hashlib.sha256(text.encode()).digest()
    values = [byte / 255 - 0.5 for byte in digest[:EMBEDDING_DIMENSIONS]]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return {"values": [v / norm for v in values]}


def _instance_of(schema: dict[str, Any], name: str, index: int) -> Any:
    """A value that satisfies a (Gemini OpenAPI-subset or JSON) schema; array items cycle
    through an enum so that "one score per criterion" schemas are met."""
    kind = str(schema.get("type", "object")).lower()
    if "enum" in schema:
        return schema["enum"][index % len(schema["enum"])]
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: _instance_of(sub, key, index) for key, sub in properties.items()}
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        count = max(2, int(_either(schema, "minItems", "min_items", 0)))
        most = _either(schema, "maxItems", "max_items", None)
        if most is not None:
            count = min(count, int(most))
        return [_instance_of(items, f"{name} {n + 1}", n) for n in range(count)]
    low = float(_either(schema, "minimum", "minimum", 0))
    high = _either(schema, "maximum", "maximum", None)
    if kind == "integer":
        return int((low + float(high)) // 2) if high is not None else int(low) + 3
    if kind == "number":
        return (low + float(high)) / 2 if high is not None else low + 2.5
    if kind == "boolean":
        return True
    return f"fake {name}"


def _either(schema: dict[str, Any], camel: str, snake: str, default: Any) -> Any:
    return schema.get(camel, schema.get(snake, default))
