"""Tracing: off and import-free without an endpoint; with one, the real OTLP exporter sends a
span per GraphQL operation to a (fake) collector, and a failing collector breaks nothing."""

import subprocess
import sys

import httpx

from services.platform import tracing
from tests.conftest import make_token
from tests.fakes.otlp_collector import fake_collector

PROBE = "query Probe { profileStats(groupBy: []) { count } }"


def test_without_an_endpoint_tracing_is_off() -> None:
    assert tracing.configure_tracing(None, "insighta") is False
    with tracing.span("anything") as span:
        span.set_attributes({"a": 1})


async def _probe(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": PROBE},
        headers={"Authorization": f"Bearer {make_token()}"},
    )


async def test_each_operation_becomes_a_span_at_the_collector(client: httpx.AsyncClient) -> None:
    with fake_collector() as collector:
        assert tracing.configure_tracing(collector.endpoint, "insighta-test") is True
        try:
            response = await _probe(client)
        finally:
            tracing.shutdown_tracing()  # flushes the batch
    assert response.json()["data"]["profileStats"][0]["count"] >= 0
    spans = collector.spans()
    assert [span.name for span in spans] == ["graphql.operation"]
    attributes = {item.key: item.value for item in spans[0].attributes}
    assert attributes["graphql.operation.name"].string_value == "Probe"
    assert attributes["graphql.operation.type"].string_value == "query"
    service = collector.requests[0].resource_spans[0].resource.attributes
    assert {(item.key, item.value.string_value) for item in service} >= {
        ("service.name", "insighta-test")
    }


async def test_a_collector_that_refuses_spans_does_not_break_requests(
    client: httpx.AsyncClient,
) -> None:
    with fake_collector() as collector:
        collector.status = 400  # not retried by the exporter: dropped and logged
        tracing.configure_tracing(collector.endpoint, "insighta-test")
        try:
            response = await _probe(client)
        finally:
            tracing.shutdown_tracing()
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert collector.spans() == []


def test_the_app_loads_no_span_exporter_unless_tracing_is_configured() -> None:
    # A fresh interpreter: importing the app pulls in none of our tracing set-up. (The redis
    # client imports parts of OpenTelemetry's SDK on its own whenever they are installed, so
    # the check is for the exporter, which only services.platform.tracing would load.)
    check = "import sys, server.app; sys.exit('opentelemetry.exporter.otlp' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0
