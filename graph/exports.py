"""`GET /exports/profiles.csv?token=...`: the download behind `profileExport` links.

Headers go out at once and rows follow as PostgreSQL produces them; memory stays flat for
any row count. A failure after the first byte can only cut the stream short (the status is
already sent): it is logged, and the file lacks its last rows.
"""

import logging
from datetime import UTC, datetime
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from graph.permissions import CanReadProfiles
from graph.profiles.export import EXPORT_ROUTE_NAME
from services.errors import ErrorCode, ServiceError
from services.profiles.export import stream_profiles_csv, verify_export_token
from services.settings import Secret

logger = logging.getLogger(__name__)

_STATUS: Final = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.FORBIDDEN: 403}


def export_routes(secret_key: Secret) -> list[BaseRoute]:
    async def profiles_csv(request: Request) -> Response:
        token = request.query_params.get("token")
        try:
            if not token:
                raise ServiceError(
                    ErrorCode.UNAUTHENTICATED,
                    "an export link needs its ?token=: ask profileExport for one",
                )
            grant = verify_export_token(secret_key, token)
            if grant.role not in CanReadProfiles.roles:
                raise ServiceError(
                    ErrorCode.FORBIDDEN, f"the {grant.role.value} role may not export profiles"
                )
        except ServiceError as error:
            return _error(error)
        logger.info(
            "profile export started",
            extra={"subject": grant.subject, "filter": grant.filter.describe()},
        )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return StreamingResponse(
            stream_profiles_csv(request.app.state.pool, grant.filter),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="profiles-{stamp}.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return [Route("/exports/profiles.csv", profiles_csv, methods=["GET"], name=EXPORT_ROUTE_NAME)]


def _error(error: ServiceError) -> Response:
    body = {"errors": [{"message": str(error), "extensions": error.extensions}]}
    return Response(
        orjson.dumps(body), status_code=_STATUS.get(error.code, 400), media_type="application/json"
    )
