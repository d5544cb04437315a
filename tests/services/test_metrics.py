"""Metric labels stay bounded whatever clients send; the hooks count what they are told."""

import pytest
from prometheus_client import REGISTRY

from services import metrics


def test_operation_names_become_bounded_labels() -> None:
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("") == "anonymous"
    assert metrics.operation_label("Tour") == "Tour"
    assert metrics.operation_label("x" * 65) == "invalid"
    assert metrics.operation_label("drop table;") == "invalid"


def test_past_the_cap_new_operation_names_are_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_seen_operations", {"Tour"})  # leave the real set alone
    for index in range(metrics.MAX_OPERATION_LABELS):
        metrics.operation_label(f"Flood{index}")
    assert metrics.operation_label("OneMoreNewName") == "other"
    assert metrics.operation_label("Tour") == "Tour", "names seen before keep their label"


def test_unknown_error_codes_are_other() -> None:
    assert metrics.error_code_label("FORBIDDEN") == "FORBIDDEN"
    assert metrics.error_code_label("SOMETHING_ELSE") == "OTHER"
    assert metrics.error_code_label(None) == "OTHER"


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_hooks_for_cache_ingestion_and_upstream_calls_count() -> None:
    hits = {"cache": "profiles", "result": "hit"}
    before = _sample("insighta_cache_lookups_total", hits)
    metrics.record_cache_lookup("profiles", hit=True)
    assert _sample("insighta_cache_lookups_total", hits) == before + 1

    rows = {"outcome": "duplicate_name"}
    before = _sample("insighta_ingestion_rows_total", rows)
    metrics.record_ingested_rows("duplicate_name", 3)
    assert _sample("insighta_ingestion_rows_total", rows) == before + 3

    calls = {"service": "gemini", "outcome": "ok"}
    before = _sample("insighta_upstream_calls_total", calls)
    metrics.record_upstream_call("gemini", "ok", 0.2)
    metrics.record_upstream_retry("gemini")
    assert _sample("insighta_upstream_calls_total", calls) == before + 1
    assert _sample("insighta_upstream_retries_total", {"service": "gemini"}) >= 1
