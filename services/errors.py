"""The one error type services raise for failures a client can act on."""

from enum import Enum


class ErrorCode(Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNINTERPRETABLE_QUERY = "UNINTERPRETABLE_QUERY"
    RATE_LIMITED = "RATE_LIMITED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    INTERNAL = "INTERNAL"
    # Automatic persisted queries: the client resends the hash with the full query text.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


class ServiceError(Exception):
    """A failure with a stable code; graphql-core copies `extensions` onto the GraphQL error."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field

    @property
    def extensions(self) -> dict[str, str]:
        extensions = {"code": self.code.value}
        if self.field:
            extensions["field"] = self.field
        return extensions


def bad_input(message: str, *, field: str | None = None) -> ServiceError:
    return ServiceError(ErrorCode.BAD_USER_INPUT, message, field=field)
