"""Error masking: coded errors pass through, anything else becomes INTERNAL with a request id."""

import logging
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types.graphql import OperationType

from services.errors import ErrorCode
from services.platform.database import is_database_unavailable

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal error"
# Reads were already run once more on a fresh connection (db/pool.py): this one is worth
# retrying by the client. A write is never run again by us: its COMMIT may have gone through.
DATABASE_UNAVAILABLE_MESSAGE = "the database is unavailable; try again shortly"
WRITE_INTERRUPTED_MESSAGE = (
    "the database connection was lost: this change may or may not have been saved; "
    "check before repeating it"
)


def has_code(error: GraphQLError) -> bool:
    return bool(error.extensions and "code" in error.extensions)


class MaskUnexpectedErrors(MaskErrors):
    """Coded errors pass; errors from GraphQL itself (syntax, validation, variable coercion)
    get BAD_USER_INPUT; anything a resolver raised without a code is logged and masked."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._is_unexpected, error_message=INTERNAL_MESSAGE)

    @staticmethod
    def _is_unexpected(error: GraphQLError) -> bool:
        # Variable coercion wraps graphql-core's own GraphQLError: that is bad input, not a bug.
        original = error.original_error
        return (
            original is not None and not isinstance(original, GraphQLError) and not has_code(error)
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            if self._is_unexpected(error) and is_database_unavailable(
                error.original_error or error
            ):
                processed.append(self._database_unavailable(error))
            elif self._is_unexpected(error):
                processed.append(self.anonymise_error(error))
            elif not has_code(error):
                error.extensions = {
                    **(error.extensions or {}),
                    "code": ErrorCode.BAD_USER_INPUT.value,
                }
                processed.append(error)
            else:
                if error.extensions and error.extensions["code"] == ErrorCode.INTERNAL.value:
                    # Raised on purpose after logging (e.g. the account check failed): the
                    # client still gets the id to quote, as for a masked error.
                    error.extensions = {**error.extensions, "requestId": self._request_id()}
                processed.append(error)
        return processed

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = self._request_id()
        logger.error(
            "unexpected error in resolver",
            exc_info=error.original_error,
            extra={"request_id": request_id, "path": error.path},
        )
        return GraphQLError(
            message=INTERNAL_MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": ErrorCode.INTERNAL.value, "requestId": request_id},
        )

    def _database_unavailable(self, error: GraphQLError) -> GraphQLError:
        request_id = self._request_id()
        logger.warning(
            "database unavailable",
            extra={
                "request_id": request_id,
                "path": error.path,
                "error": repr(error.original_error),
            },
        )
        message = DATABASE_UNAVAILABLE_MESSAGE
        if self._is_mutation():
            message = WRITE_INTERRUPTED_MESSAGE
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": ErrorCode.UPSTREAM_UNAVAILABLE.value, "requestId": request_id},
        )

    def _is_mutation(self) -> bool:
        try:
            return self.execution_context.operation_type is OperationType.MUTATION
        except RuntimeError:  # an operation name the document does not define
            return False

    def _request_id(self) -> str:
        context: Any = self.execution_context.context
        return str(getattr(context, "request_id", "-"))
