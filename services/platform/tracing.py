"""OpenTelemetry tracing, only when an exporter is configured (OTEL_EXPORTER_OTLP_ENDPOINT).

The OpenTelemetry packages are an optional dependency (`uv sync --extra otel`, or
`pip install insighta[otel]`): without an endpoint nothing is imported and `span()` costs a
no-op context manager. With one, spans go to the OTLP/HTTP endpoint in batches.
"""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Span(Protocol):
    def set_attributes(self, attributes: dict[str, Any]) -> None: ...


class _NoSpan:
    def set_attributes(self, attributes: dict[str, Any]) -> None:
        pass


_NO_SPAN = _NoSpan()
_tracer: Any = None
_provider: Any = None


def configure_tracing(endpoint: str | None, service_name: str) -> bool:
    """Send spans to `endpoint` (an OTLP/HTTP base URL); returns whether tracing is on."""
    global _tracer, _provider
    if not endpoint:
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "install the `otel` extra (uv sync --extra otel)"
        ) from None
    # The provider flushes and stops at interpreter exit by itself (shutdown_on_exit).
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("insighta")
    logger.info("tracing on", extra={"endpoint": endpoint, "service": service_name})
    return True


def shutdown_tracing() -> None:
    """Flush what is queued and stop exporting."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


@contextlib.contextmanager
def span(name: str) -> Iterator[Span]:
    if _tracer is None:
        yield _NO_SPAN
        return
    with _tracer.start_as_current_span(name) as current:
        yield current
