"""The ingestion service of this server process, as the resolvers reach it."""

from graph.core.context import Context
from services.errors import ErrorCode, ServiceError
from services.ingestion.service import Ingestion


def require_ingestion(context: Context) -> Ingestion:
    if context.ingestion is None:
        raise ServiceError(ErrorCode.INTERNAL, "CSV ingestion is not running in this server")
    return context.ingestion
