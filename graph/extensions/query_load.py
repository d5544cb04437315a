"""Tells background ingestion when this process serves reads of the profiles.

services/ingestion/pacing.py makes ingestion yield while queries are served: a batch write
slows the reads that scan the newest profiles (its CPU, and its uncommitted rows). Only those
reads count. A client that polls its own job's progress, an interview query or an upload costs
the profiles nothing, and counting them made a followed job take twice as long (a poll five
times a second kept ingestion in its slow mode for the whole file).
"""

from collections.abc import AsyncIterator
from typing import Final

from graphql import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graph.extensions.document_cache import documents

# Root fields that read the profiles table.
PROFILE_READS: Final = frozenset({"profiles", "profile", "profileStats"})


class ProfileReadLoad(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        activity = getattr(execution.context, "query_load", None)
        if activity is None or not _reads_profiles(execution):
            yield
            return
        activity.started()
        try:
            yield
        finally:
            activity.finished()


def _reads_profiles(execution: ExecutionContext) -> bool:
    document = execution.graphql_document
    if document is None:
        return False
    operation = get_operation_ast(document, getattr(execution, "_provided_operation_name", None))
    if operation is None:
        return False
    cost = documents.cost(execution.query or "", dict(execution.parse_options), document)
    return cost.root_field_count(operation, PROFILE_READS) > 0
