"""Error bodies the server answers itself, for requests refused before any GraphQL runs (a bad
body, an oversize upload, a refused export link): one GraphQL-shaped body and one map from
error code to HTTP status. Errors of operations that ran are shaped by strawberry, coded by
graph/core/errors.py; server/graphql_over_http.py says how the media type changes them."""

from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
from starlette.responses import Response

from server.graphql_over_http import CONTENT_TYPES, GRAPHQL_RESPONSE_JSON, JSON
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
# Under application/graphql-response+json an answer without `data` must not be 2xx: the
# unknown hash is then 404, and the client still acts on the code (it resends the text).
_STATUS_WITHOUT_DATA: Final[Mapping[ErrorCode, int]] = {
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: 404,
}
_CODES: Final[Mapping[str, ErrorCode]] = {code.value: code for code in ErrorCode}


def error_response(
    code: ErrorCode,
    message: str,
    *,
    status_code: int | None = None,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    """`{"data": null, "errors": [{message, extensions: {code, ...}}]}`, with the code's status
    unless the transport's own refusal has a more precise one (405, 415...). In
    application/graphql-response+json there is no `data` (nothing ran) and never a 2xx."""
    error = {"message": message, "extensions": {**(extensions or {}), "code": code.value}}
    if media_type == GRAPHQL_RESPONSE_JSON:
        body: dict[str, object] = {"errors": [error]}
        status = status_code if status_code is not None else request_error_status(code)
    else:
        body = {"data": None, "errors": [error]}
        status = status_code if status_code is not None else HTTP_STATUS[code]
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=CONTENT_TYPES[media_type],
        headers=headers,
    )


def service_error_response(
    error: ServiceError, *, headers: Mapping[str, str] | None = None, media_type: str = JSON
) -> Response:
    return error_response(
        error.code, str(error), extensions=error.extensions, headers=headers, media_type=media_type
    )


def request_error_status(code: ErrorCode) -> int:
    """The status of an answer without `data` (application/graphql-response+json)."""
    return _STATUS_WITHOUT_DATA.get(code, HTTP_STATUS[code])


def request_errors_status(errors: Sequence[object]) -> int:
    """The status of a request error from GraphQL itself: the first coded error's (parse,
    validation and coercion failures are BAD_USER_INPUT, graph/core/errors.py: 400)."""
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        code = _CODES.get(extensions.get("code", "")) if isinstance(extensions, Mapping) else None
        if code is not None:
            return request_error_status(code)
    return 400
