"""Per-operation observation: latency and error-code metrics, the access-log fields only the
GraphQL layer knows, an OpenTelemetry span when tracing is on. (`/metrics` itself is
server/metrics.py.)"""

import time
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension

from graph.core.request_record import RequestRecord
from services.auth.tokens import Principal
from services.platform import tracing
from services.platform.metrics import GRAPHQL_ERRORS, error_code_label, record_operation


class OperationObserver(SchemaExtension):
    """Listed first among the schema's extensions, so it sees errors after masking."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with tracing.span("graphql.operation") as span:
            yield
            context = self.execution_context
            name, kind = context.operation_name, _operation_type(context)
            codes = [_code(error) for error in _errors(context)]
            describe_operation(span, name, kind, codes)
        finish_operation(
            getattr(context.context, "record", None),
            getattr(context.context, "principal", None),
            name,
            kind,
            codes,
            time.perf_counter() - started,
        )


def describe_operation(span: Any, name: str | None, kind: str, codes: list[str]) -> None:
    """The operation's span attributes, however it was answered."""
    span.set_attributes(
        {
            "graphql.operation.name": name or "",
            "graphql.operation.type": kind,
            "insighta.error_codes": codes,
        }
    )


def finish_operation(
    record: RequestRecord | None,
    principal: Principal | None,
    name: str | None,
    kind: str,
    codes: list[str],
    seconds: float,
) -> None:
    """An answered operation's metrics and access-log fields, however it was answered."""
    record_operation(name, kind, seconds)
    for code in codes:
        GRAPHQL_ERRORS.labels(code=code).inc()
    if record is None:
        return
    record.operation, record.operation_type = name, kind
    record.error_codes.extend(codes)
    if principal is not None:
        record.user, record.role = principal.subject, principal.role.value


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
