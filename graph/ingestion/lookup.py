"""The ingestion service of this server process, as the resolvers reach it."""

from uuid import UUID

from graph.core.context import Context
from services.errors import ErrorCode, ServiceError, bad_input
from services.ingestion.service import Ingestion


def require_ingestion(context: Context) -> Ingestion:
    if context.ingestion is None:
        raise ServiceError(ErrorCode.INTERNAL, "CSV ingestion is not running in this server")
    return context.ingestion


def parse_job_id(value: str, *, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise bad_input(f"{value!r} is not an ingestion job id (a UUID)", field=field) from None
