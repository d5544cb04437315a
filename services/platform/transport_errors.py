"""Transport-level failures of the HTTP clients the SDKs use (aiohttp, httpx), as one type.

Adapters map their SDK's status errors themselves; what is left (timeouts, refused or dropped
connections) looks the same for every SDK and is mapped here.
"""

from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx

from services.platform.retry import FailureKind, UpstreamFailure, parse_retry_after


def transport_failure(error: BaseException) -> UpstreamFailure | None:
    """The failure a transport error stands for, or None if `error` is not one."""
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return UpstreamFailure(FailureKind.TIMEOUT, f"timed out ({type(error).__name__})")
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ContentTypeError):
        return UpstreamFailure(FailureKind.MALFORMED, f"unreadable answer: {error}")
    if isinstance(error, aiohttp.ClientError | httpx.TransportError | ConnectionError | OSError):
        return UpstreamFailure(FailureKind.CONNECTION, f"{type(error).__name__}: {error}")
    return None


def retry_after_header(headers: Mapping[str, Any] | Any) -> float | None:
    """Retry-After from response headers of any casing (dict, CIMultiDict, httpx.Headers)."""
    if headers is None:
        return None
    try:
        items = headers.items()
    except AttributeError:
        return None
    for name, value in items:
        if str(name).lower() == "retry-after":
            return parse_retry_after(str(value))
    return None
