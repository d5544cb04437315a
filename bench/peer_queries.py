"""The page both servers are asked for: 20 profiles, all 10 fields, newest first, with and
without the exact total, in each server's own schema; and the check that both answer the same
rows before anything is timed."""

from dataclasses import dataclass
from typing import Any, Final

import orjson

FIELDS: Final = (
    "id name gender genderProbability age ageGroup countryId countryName countryProbability"
    " createdAt"
)
PAGE_SIZE: Final = 20
_SELECTION = (
    "{ %(total)s edges { cursor node { " + FIELDS + " } } pageInfo { hasNextPage endCursor } }"
)
# Ours defaults to newest first; PostGraphile is told, with the id as the same tie-breaker.
_INSIGHTA = "{ profiles(first: %(size)d, sort: {field: CREATED_AT, order: DESC}) %(selection)s }"
_POSTGRAPHILE = (
    "{ allProfiles(first: %(size)d, orderBy: [CREATED_AT_DESC, ID_DESC]) %(selection)s }"
)
TYPENAME: Final = "{ __typename }"


def _body(query: str) -> bytes:
    return orjson.dumps({"query": query})


def insighta_page(*, total: bool) -> bytes:
    selection = _SELECTION % {"total": "totalCount" if total else ""}
    return _body(_INSIGHTA % {"size": PAGE_SIZE, "selection": selection})


def postgraphile_page(*, total: bool) -> bytes:
    selection = _SELECTION % {"total": "totalCount" if total else ""}
    return _body(_POSTGRAPHILE % {"size": PAGE_SIZE, "selection": selection})


def typename() -> bytes:
    return _body(TYPENAME)


@dataclass(frozen=True)
class PageAnswer:
    ids: list[str]
    total: int | None
    fields: int  # fields on the first node


def read_page(answer: bytes) -> PageAnswer:
    """The ids, total and width of a page answer from either server; raises on GraphQL errors."""
    document: dict[str, Any] = orjson.loads(answer)
    if document.get("errors"):
        raise RuntimeError(f"the page answered errors: {document['errors']}")
    (connection,) = document["data"].values()
    nodes = [edge["node"] for edge in connection["edges"]]
    return PageAnswer(
        ids=[str(node["id"]) for node in nodes],
        total=connection.get("totalCount"),
        fields=len(nodes[0]) if nodes else 0,
    )


def same_page(insighta: PageAnswer, postgraphile: PageAnswer) -> dict[str, Any]:
    """What the two answers hold, after checking they are the same page; raises if not."""
    if insighta.ids != postgraphile.ids:
        raise RuntimeError(
            f"the servers answered different pages: {insighta.ids[:3]}... against"
            f" {postgraphile.ids[:3]}..."
        )
    if len(insighta.ids) != PAGE_SIZE or {insighta.fields, postgraphile.fields} != {10}:
        raise RuntimeError(
            f"expected {PAGE_SIZE} rows of 10 fields, got {len(insighta.ids)} rows of"
            f" {insighta.fields} and {postgraphile.fields} fields"
        )
    if insighta.total != postgraphile.total:
        raise RuntimeError(f"totals differ: {insighta.total} against {postgraphile.total}")
    return {
        "rows": len(insighta.ids),
        "fields": insighta.fields,
        "total": insighta.total,
        "first_id": insighta.ids[0],
        "last_id": insighta.ids[-1],
    }
