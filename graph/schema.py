"""The one schema: every domain's root fields, error masking and limits."""

from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache

from graph.errors import MaskUnexpectedErrors
from graph.profiles.schema import ProfilesQuery


@strawberry.type
class Query(ProfilesQuery):
    pass


class InsightaSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are answers, not incidents; MaskUnexpectedErrors logs the real ones."""


# Parsing and validating the document was ~60% of a cached profiles request (pyinstrument,
# bench/README.md). Both caches are module-level LRUs keyed by the query text and the parsed
# document, shared by every request: the factories only build the per-request hooks. Bounded,
# so unique query texts cannot grow memory without limit.
_DOCUMENT_CACHE_SIZE = 1024

schema = InsightaSchema(
    query=Query,
    extensions=[
        MaskUnexpectedErrors,
        lambda: ParserCache(maxsize=_DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=_DOCUMENT_CACHE_SIZE),
    ],
)
