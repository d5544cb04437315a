"""After a mutation, the caller's reads stop trailing on a lagging replica (the rule is in
services/platform/read_your_writes.py; this extension only tells it who wrote), and the
process's live data version covers the write before the answer goes out, so the response cache
of every process serves it (services/platform/data_version.py, `LiveVersion`)."""

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.core.context import Context


class ReadYourWrites(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        context = execution.context
        if not isinstance(context, Context) or execution.graphql_document is None:
            return
        try:
            is_mutation = execution.operation_type is OperationType.MUTATION
        except RuntimeError:  # an operation name the document does not define
            return
        if is_mutation:
            if context.live_version is not None:
                await context.live_version.after_write()
            await context.reads.note_write(context.caller)
