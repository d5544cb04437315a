"""`/metrics` in Prometheus text format, and this process's pool gauges.

The counters and histograms are declared in services/platform/metrics.py and filled by the
layers that see the events (graph/extensions/metrics.py for GraphQL operations)."""

import asyncio
import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from server.bearer import bearer_token
from server.errors import error_response
from services.errors import ErrorCode
from services.platform.database import ConnectionPool
from services.platform.metrics import DB_POOL_CONNECTIONS, exposition


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format; this process's pool gauges are read at scrape time (the other
    workers' every few seconds, by `sample_pool_gauges`). With METRICS_TOKEN set, only a
    scraper that sends it as a bearer token gets an answer."""
    expected = request.app.state.metrics_token
    if expected is not None:
        sent = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(sent.encode(), expected.reveal().encode()):
            refused = error_response(
                ErrorCode.UNAUTHENTICATED,
                "send METRICS_TOKEN as `Authorization: Bearer <token>`",
            )
            refused.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return refused
    pool = getattr(request.app.state, "pool", None)
    if pool is not None:
        _set_pool_gauges(pool)
    body = exposition(request.app.state.metrics_multiprocess_dir)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def sample_pool_gauges(pool: ConnectionPool, *, every: float = 5.0) -> None:
    """Keep this process's pool gauges current, for scrapes that another worker answers."""
    while True:
        _set_pool_gauges(pool)
        await asyncio.sleep(every)


def _set_pool_gauges(pool: ConnectionPool) -> None:
    DB_POOL_CONNECTIONS.labels(pool="primary", state="size").set(pool.get_size())
    DB_POOL_CONNECTIONS.labels(pool="primary", state="idle").set(pool.get_idle_size())
    DB_POOL_CONNECTIONS.labels(pool="primary", state="max").set(pool.get_max_size())
