"""Error bodies the server answers itself, for requests refused before any GraphQL runs (a bad
body, an oversize upload, a refused export link): one GraphQL-shaped body and one map from
error code to HTTP status. Errors of operations that ran are shaped by strawberry, coded by
graph/core/errors.py."""

from collections.abc import Mapping
from typing import Any, Final

import orjson
from starlette.responses import Response

from services.errors import ErrorCode, ServiceError

HTTP_STATUS: Final[Mapping[ErrorCode, int]] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.UNINTERPRETABLE_QUERY: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
    # Apollo's APQ protocol: an answer the client acts on (it resends the text), not a failure.
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: 200,
}


def error_response(
    code: ErrorCode,
    message: str,
    *,
    status_code: int | None = None,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`{"data": null, "errors": [{message, extensions: {code, ...}}]}`, with the code's status
    unless the transport's own refusal has a more precise one (405, 415...)."""
    error = {"message": message, "extensions": {**(extensions or {}), "code": code.value}}
    return Response(
        orjson.dumps({"data": None, "errors": [error]}),
        status_code=status_code if status_code is not None else HTTP_STATUS[code],
        media_type="application/json",
        headers=headers,
    )


def service_error_response(
    error: ServiceError, *, headers: Mapping[str, str] | None = None
) -> Response:
    return error_response(error.code, str(error), extensions=error.extensions, headers=headers)
