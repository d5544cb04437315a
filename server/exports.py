"""`GET /exports/profiles.csv?token=...`: the download behind `profileExport` links (`HEAD`
checks the link and answers the headers without running the export).

Headers go out at once and rows follow as PostgreSQL produces them; memory stays flat for
any row count. A failure after the first byte can only cut the stream short (the status is
already sent): it is logged, and the file lacks its last rows.
"""

import functools
import logging
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from typing import Final

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from graph.core.authorization import PERMISSIONS
from server.errors import service_error_response
from services.accounts.authentication import account_disabled
from services.accounts.statuses import UserStatuses
from services.errors import ErrorCode, ServiceError
from services.platform.read_your_writes import ReadRouting, caller_key
from services.platform.settings import Secret
from services.profiles.export import ExportSlots, stream_profiles_csv, verify_export_token

EXPORT_ROUTE_NAME: Final = "profile_export_csv"

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS: Final = 10
CSV: Final = "text/csv; charset=utf-8"


def _download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


class _ExportResponse(StreamingResponse):
    """Closes the CSV stream however the response ends (a client that hangs up half-way
    included), so the COPY stops and its connection and slot are free at once rather than
    whenever the abandoned generator is collected."""

    def __init__(
        self, stream: AsyncGenerator[bytes, None], release: Callable[[], None], filename: str
    ) -> None:
        super().__init__(stream, media_type=CSV, headers=_download_headers(filename))
        self._stream, self._release = stream, release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self._stream.aclose()
            finally:
                self._release()


def export_routes(secret_key: Secret, *, slots: ExportSlots | None = None) -> list[BaseRoute]:
    export_slots = slots or ExportSlots()

    async def profiles_csv(request: Request) -> Response:
        token = request.query_params.get("token")
        try:
            if not token:
                raise ServiceError(
                    ErrorCode.UNAUTHENTICATED,
                    "an export link needs its ?token=: ask profileExport for one",
                )
            grant = verify_export_token(secret_key, token)
            if grant.role not in PERMISSIONS["profileExport"].roles:
                raise ServiceError(
                    ErrorCode.FORBIDDEN, f"the {grant.role.value} role may not export profiles"
                )
            # A link outlives the request that made it by up to 10 minutes: the account must
            # still be active when the download starts, as for any request of its tokens.
            if grant.user_id is not None:
                statuses: UserStatuses = request.app.state.accounts.statuses
                if not await statuses.is_active(grant.user_id):
                    raise account_disabled()
        except ServiceError as error:
            return service_error_response(error)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if request.method == "HEAD":
            # The headers a download would get (the link is checked as for GET), without
            # running the export or taking one of the caller's slots. Its length is unknown
            # before the rows are read: no Content-Length, as the streamed GET has none.
            head = Response(media_type=CSV, headers=_download_headers(f"profiles-{stamp}.csv"))
            del head.headers["content-length"]
            return head
        reads: ReadRouting = request.app.state.reads
        pool = (await reads.target(caller_key(grant.subject))).pool
        try:
            export_slots.acquire(grant.subject, pool_size=pool.get_max_size())
        except ServiceError as busy:
            return service_error_response(busy, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        logger.info(
            "profile export started",
            extra={"subject": grant.subject, "filter": grant.filter.describe()},
        )
        return _ExportResponse(
            stream_profiles_csv(pool, grant.filter),
            functools.partial(export_slots.release, grant.subject),
            f"profiles-{stamp}.csv",
        )

    return [Route("/exports/profiles.csv", profiles_csv, methods=["GET"], name=EXPORT_ROUTE_NAME)]
