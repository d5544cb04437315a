"""The one schema: every domain's root fields, error masking and limits."""

from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter

from graph.accounts.mutations import AccountsMutation
from graph.accounts.schema import AccountsQuery
from graph.accounts.viewer import ViewerQuery
from graph.core.errors import MaskUnexpectedErrors
from graph.extensions.document_cache import DocumentCache
from graph.extensions.limits import query_limits
from graph.extensions.metrics import OperationObserver
from graph.extensions.persisted_queries import RegisterValidated
from graph.extensions.query_load import ProfileReadLoad
from graph.extensions.rate_limits import RateLimits
from graph.extensions.read_your_writes import ReadYourWrites
from graph.extensions.response_cache import CacheableOperations
from graph.extensions.scalar_fast_path import PlainFieldExecutionContext
from graph.ingestion.schema import IngestionMutation, IngestionQuery, IngestionSubscription
from graph.interviews.mutations import InterviewsMutation
from graph.interviews.schema import InterviewsQuery
from graph.profiles.export import ProfileExportQuery
from graph.profiles.mutations import ProfilesMutation
from graph.profiles.schema import ProfilesQuery
from graph.transcripts.schema import (
    TranscriptsMutation,
    TranscriptsQuery,
    TranscriptsSubscription,
)


@strawberry.type
class Query(
    ProfilesQuery,
    ProfileExportQuery,
    ViewerQuery,
    InterviewsQuery,
    AccountsQuery,
    IngestionQuery,
    TranscriptsQuery,
):
    pass


@strawberry.type
class Mutation(
    InterviewsMutation, AccountsMutation, IngestionMutation, TranscriptsMutation, ProfilesMutation
):
    pass


@strawberry.type
class Subscription(IngestionSubscription, TranscriptsSubscription):
    pass


class RememberedNames(NameConverter):
    """Strawberry converts each argument's Python name to camelCase on every call of its
    resolver (~5% of an uncached page); the names are the schema's own, so each conversion is
    kept."""

    def __init__(self) -> None:
        super().__init__()
        self._converted: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._converted.get(name)
        if converted is None:
            converted = self._converted[name] = super().apply_naming_config(name)
        return converted


class InsightaSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are answers, not incidents; MaskUnexpectedErrors logs the real ones."""


# OperationObserver comes first so that it sees errors after masking (extensions unwind LIFO).
# Parsing and validating the document was ~60% of a cached profiles request (pyinstrument,
# docs/performance.md): DocumentCache and CachedValidation (in query_limits()) share one
# module-level LRU, bounded by bytes, used by every request (graph/extensions/document_cache.py).
schema = InsightaSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    execution_context_class=PlainFieldExecutionContext,
    config=StrawberryConfig(name_converter=RememberedNames()),
    extensions=[
        OperationObserver,
        MaskUnexpectedErrors,
        DocumentCache,
        *query_limits(),
        RegisterValidated,
        RateLimits,
        ReadYourWrites,
        ProfileReadLoad,
        CacheableOperations,
    ],
)
