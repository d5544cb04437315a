"""The uvicorn options every `insighta serve` runs with, one process or N."""

from typing import Any

from server.http_protocol import CoalescingHttpToolsProtocol
from services.platform.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_config": None,
        "access_log": False,  # server/access_log.py writes one richer line per request
        "proxy_headers": False,
        # A websocket message is held to the request body's limit, as an HTTP request is
        # (uvicorn's default is 16 MiB).
        "ws_max_size": settings.max_request_bytes,
        # httptools, each response written in one piece (server/http_protocol.py).
        "http": CoalescingHttpToolsProtocol,
    }
