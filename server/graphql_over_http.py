"""The GraphQL-over-HTTP response rules that depend on the media type the client accepts.

Two media types are served. Under `application/graphql-response+json` the status tells a
request error (nothing was executed: the document did not parse or validate, or the
variables did not coerce) from a result: a request error has no `data` and a 4xx or 5xx
status, a result (even one with field errors, even `"data": null`) is 200. Under
`application/json`, the legacy type, every GraphQL answer keeps its 200 and its `data`.
docs/api.md ("GraphQL over HTTP") describes both for clients.
"""

from collections.abc import Mapping
from typing import Any, Final

JSON: Final = "application/json"
GRAPHQL_RESPONSE_JSON: Final = "application/graphql-response+json"
# The spec asks for the encoding on the new type; application/json stays as it always was.
CONTENT_TYPES: Final[Mapping[str, str]] = {
    JSON: JSON,
    GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8",
}

_WILDCARDS: Final[Mapping[str, int]] = {"*/*": 0, "application/*": 1}
# A client sends the same Accept header with every request: its answer is remembered, for a
# bounded number of short headers (longer ones are ranked each time).
_REMEMBERED_ACCEPTS: Final = 256
_MAX_REMEMBERED_ACCEPT: Final = 256
_chosen: dict[str, str | None] = {}


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in: the supported type the `Accept` header ranks highest, or
    None when it accepts neither (the spec recommends 406 Not Acceptable then).

    `application/graphql-response+json, application/json;q=0.9` -> the new type;
    no header, `*/*` or `application/*` -> `application/json`; `text/html` -> None.

    As in RFC 7231 (5.3.2), a type's quality is that of the most specific range naming it; on
    equal quality an exact range beats a wildcard and the earlier listed wins. A missing
    header, or a wildcard alone, means `application/json`: clients written before the new
    type (ours included) send no `Accept` or `*/*`, and keep their 200s.
    """
    if accept is None:
        return JSON
    try:
        return _chosen[accept]
    except KeyError:
        pass
    chosen = _rank(accept)
    if len(accept) <= _MAX_REMEMBERED_ACCEPT:
        if len(_chosen) >= _REMEMBERED_ACCEPTS:
            _chosen.clear()  # full (many clients, or one sending odd headers): start again
        _chosen[accept] = chosen
    return chosen


def _rank(accept: str) -> str | None:
    if not accept.strip():
        return JSON
    best: tuple[float, int, int, bool, str] | None = None
    for media_type in (GRAPHQL_RESPONSE_JSON, JSON):
        match = _most_specific_range(accept, media_type)
        if match is None:
            continue
        quality, specificity, position = match
        if quality <= 0:
            continue
        ranked = (quality, specificity, -position, media_type == JSON, media_type)
        if best is None or ranked > best:
            best = ranked
    return best[-1] if best is not None else None


def _most_specific_range(accept: str, media_type: str) -> tuple[float, int, int] | None:
    """(quality, specificity, position) of the range in `accept` that governs `media_type`."""
    found: tuple[float, int, int] | None = None
    for position, part in enumerate(accept.split(",")):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        media_range = media_range.lower()
        if media_range == media_type:
            specificity = 2
        elif media_range in _WILDCARDS:
            specificity = _WILDCARDS[media_range]
        else:
            continue
        if found is None or specificity > found[1]:
            found = (_quality(parameters), specificity, position)
    return found


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 1.0  # unreadable: as if absent
    return 1.0


def is_request_error(response: Mapping[str, Any]) -> bool:
    """Whether a GraphQL response reports a request error: no data and no error with a
    `path` (a field error always has one, even when it nulled the whole `data`)."""
    errors = response.get("errors") or []
    return (
        response.get("data") is None
        and bool(errors)
        and not any(isinstance(error, Mapping) and "path" in error for error in errors)
    )
