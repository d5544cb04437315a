"""Per-operation observation: latency and error-code metrics, the access-log fields only the
GraphQL layer knows, an OpenTelemetry span when tracing is on; and the `/metrics` endpoint."""

import asyncio
import hmac
import time
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from graph.access_log import request_record
from graph.bearer import bearer_token
from graph.errors import error_response
from services import tracing
from services.database import ConnectionPool
from services.errors import ErrorCode
from services.metrics import (
    DB_POOL_CONNECTIONS,
    GRAPHQL_ERRORS,
    GRAPHQL_OPERATION_SECONDS,
    error_code_label,
    exposition,
    operation_label,
)


class OperationObserver(SchemaExtension):
    """Listed first among the schema's extensions, so it sees errors after masking."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with tracing.span("graphql.operation") as span:
            yield
            context = self.execution_context
            name, kind = context.operation_name, _operation_type(context)
            codes = [_code(error) for error in _errors(context)]
            span.set_attributes(
                {
                    "graphql.operation.name": name or "",
                    "graphql.operation.type": kind,
                    "insighta.error_codes": codes,
                }
            )
        GRAPHQL_OPERATION_SECONDS.labels(operation=operation_label(name), type=kind).observe(
            time.perf_counter() - started
        )
        for code in codes:
            GRAPHQL_ERRORS.labels(code=code).inc()
        _fill_request_record(context.context, name, kind, codes)


def _operation_type(context: Any) -> str:
    try:
        return str(context.operation_type.value)
    except Exception:  # no document (a syntax error) or an unknown operation name
        return "unknown"


def _errors(context: Any) -> list[GraphQLError]:
    result = context.result
    errors = result.errors if result is not None else context.pre_execution_errors
    return list(errors or [])


def _code(error: GraphQLError) -> str:
    return error_code_label((error.extensions or {}).get("code"))


def _fill_request_record(context: Any, name: str | None, kind: str, codes: list[str]) -> None:
    request = getattr(context, "request", None)
    record = request_record(request.scope) if request is not None else None
    if record is None:
        return
    record.operation, record.operation_type = name, kind
    record.error_codes.extend(codes)
    principal = getattr(context, "principal", None)
    if principal is not None:
        record.user, record.role = principal.subject, principal.role.value


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format; this process's pool gauges are read at scrape time (the other
    workers' every few seconds, by `sample_pool_gauges`). With METRICS_TOKEN set, only a
    scraper that sends it as a bearer token gets an answer."""
    expected = request.app.state.metrics_token
    if expected is not None:
        sent = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(sent.encode(), expected.reveal().encode()):
            refused = error_response(
                401,
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
