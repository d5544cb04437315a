"""The one schema: every domain's root fields, error masking and limits."""

from typing import Any

import strawberry
from graphql.error import GraphQLError

from graph.errors import MaskUnexpectedErrors
from graph.ingestion.schema import IngestionMutation, IngestionQuery, IngestionSubscription
from graph.profiles.schema import ProfilesQuery


@strawberry.type
class Query(ProfilesQuery, IngestionQuery):
    pass


@strawberry.type
class Mutation(IngestionMutation):
    pass


@strawberry.type
class Subscription(IngestionSubscription):
    pass


class InsightaSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are answers, not incidents; MaskUnexpectedErrors logs the real ones."""


schema = InsightaSchema(
    query=Query, mutation=Mutation, subscription=Subscription, extensions=[MaskUnexpectedErrors]
)
