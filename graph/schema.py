"""The one schema: every domain's root fields, error masking and limits."""

from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import ValidationCache

from graph.document_cache import DOCUMENT_CACHE_SIZE, DocumentCache
from graph.errors import MaskUnexpectedErrors
from graph.plain_fields import PlainFieldExecutionContext
from graph.profiles.schema import ProfilesQuery


@strawberry.type
class Query(ProfilesQuery):
    pass


class InsightaSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are answers, not incidents; MaskUnexpectedErrors logs the real ones."""


# Parsing and validating the document was ~60% of a cached profiles request (pyinstrument,
# README "Performance"). Both caches are module-level bounded LRUs keyed by the query text and
# the parsed document, shared by every request; the factory only builds per-request hooks.
schema = InsightaSchema(
    query=Query,
    execution_context_class=PlainFieldExecutionContext,
    extensions=[
        MaskUnexpectedErrors,
        DocumentCache,
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    ],
)
