"""The one schema: every domain's root fields, error masking and limits."""

from typing import Any

import strawberry
from graphql.error import GraphQLError

from graph.accounts.mutations import AccountsMutation
from graph.accounts.schema import AccountsQuery
from graph.errors import MaskUnexpectedErrors
from graph.interviews.mutations import InterviewsMutation
from graph.interviews.schema import InterviewsQuery
from graph.limits import query_limits
from graph.profiles.schema import ProfilesQuery


@strawberry.type
class Query(ProfilesQuery, InterviewsQuery, AccountsQuery):
    pass


@strawberry.type
class Mutation(InterviewsMutation, AccountsMutation):
    pass


class InsightaSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client errors are answers, not incidents; MaskUnexpectedErrors logs the real ones."""


schema = InsightaSchema(
    query=Query, mutation=Mutation, extensions=[MaskUnexpectedErrors, *query_limits()]
)
