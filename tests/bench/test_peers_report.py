"""The side-by-side report: ratios against PostGraphile and the floor of the same run, the
issue's targets judged, memory growth, and the two files it writes."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.peers_report import markdown, memory_growth, ratios, targets, write_peers_results

MIB = 1024 * 1024


def _case(key: str, server: str, p50: float, per_second: float, errors: int = 0) -> dict[str, Any]:
    return {
        "key": key,
        "label": key.replace("_", " "),
        "server": server,
        "p50_ms": p50,
        "p95_ms": p50 * 1.5,
        "p99_ms": p50 * 2,
        "per_second": per_second,
        "non_2xx": errors,
        "socket_errors": 0,
    }


def _result(memory_rss: list[int]) -> dict[str, Any]:
    cases = [
        _case("floor", "floor", 0.1, 20_000),
        _case("pg_page", "postgraphile", 1.0, 1_500),
        _case("pg_page_total", "postgraphile", 40.0, 100),
        _case("typename", "insighta", 0.25, 6_000),
        _case("uncached_page", "insighta_uncached", 0.9, 1_200),
        _case("uncached_total", "insighta_uncached", 1.3, 1_100),
        _case("cached_page", "insighta", 0.4, 5_000),
        _case("typename_w2", "insighta_w2", 0.26, 7_000),
        _case("uncached_page_w2", "insighta_uncached_w2", 0.95, 1_400),
        _case("uncached_total_w2", "insighta_uncached_w2", 1.2, 1_300, errors=1),
        _case("cached_page_w2", "insighta_w2", 0.3, 6_000),
    ]
    return {
        "started_at": "2026-11-28T12:34:56.789+00:00",
        "profiles": 1_000_000,
        "cpus": 2,
        "command": "python -m bench.peers --profiles 1000000 --quick",
        "versions": {
            "wrk": "wrk debian/4.1.0-3+b2 [epoll]",
            "postgraphile": "4.14.1",
            "postgraphile-plugin-connection-filter": "2.3.0",
            "node": "v20.20.2",
        },
        "rounds": 3,
        "seconds": 3.0,
        "connections": 32,
        "threads": 2,
        "workers": 2,
        "cases": cases,
        "servers": {"insighta": {"rss_start": 100 * MIB, "rss_end": 110 * MIB}},
        "memory": {
            "interval": 5.0,
            "samples": [
                {"seconds": 5.0 * i, "requests": 25_000 * i, "rss": rss, "non_2xx": 0}
                for i, rss in enumerate(memory_rss)
            ],
        },
        "check": {
            "rows": 20,
            "fields": 10,
            "total": 1_000_000,
            "first_id": "0190-abc",
            "last_id": "0190-def",
            "body_bytes": 5_600,
        },
    }


def test_ratios_are_against_postgraphiles_page_its_best_throughput_and_the_floor() -> None:
    cached = ratios(_result([100 * MIB, 110 * MIB]))["cached_page"]
    assert cached["p50_vs_postgraphile"] == pytest.approx(0.4)
    assert cached["p50_vs_floor"] == pytest.approx(4.0)
    assert cached["per_second_vs_postgraphile"] == pytest.approx(5_000 / 1_500)
    assert cached["per_second_vs_floor"] == pytest.approx(0.25)


def test_each_target_is_judged_on_one_worker_with_the_workers_column_beside() -> None:
    judged = {target.text: target for target in targets(_result([100 * MIB, 110 * MIB, 111 * MIB]))}
    cached = judged["cached page p50 <= 0.35 ms"]
    assert (cached.measured, cached.workers_measured, cached.met) == ("0.40 ms", "0.30 ms", False)
    assert judged["cached page requests/s at 32 connections >= 3x PostGraphile's best"].met
    assert judged["uncached page p50 <= 1.0x PostGraphile's page without total"].met
    total = "uncached page with exact totalCount p50 <= 1.25x PostGraphile's page without total"
    assert not judged[total].met
    assert not judged["uncached requests/s with totals >= PostGraphile's without"].met
    assert judged["{__typename} p50 <= 0.30 ms"].met
    errors = judged["zero non-2xx (and socket errors), every Insighta case"]
    assert (errors.measured, errors.met) == ("1", False)
    (memory,) = [target for target in judged.values() if target.text.startswith("flat memory")]
    assert memory.met  # 110 -> 111 MiB after the first window: +0.9%


def test_memory_growth_counts_from_the_first_loaded_sample() -> None:
    growth = memory_growth(_result([80 * MIB, 100 * MIB, 104 * MIB, 110 * MIB])["memory"])
    assert growth["idle_mib"] == 80
    assert growth["growth_mib"] == 10
    assert growth["growth"] == pytest.approx(0.10)
    assert growth["peak_mib"] == 110
    assert growth["requests"] == 75_000


def test_the_report_has_the_case_table_side_by_side_targets_and_check() -> None:
    text = markdown(_result([100 * MIB, 110 * MIB]))
    assert "| cached page | 0.400 | 0.800 | 5,000 | 0.40x | 4.0x | 3.33x | 0.25x | 0 | 0 |" in text
    assert "| | PostGraphile | Insighta | Insighta --workers 2 | floor |" in text
    assert "| p50 ms, 1 conn: page, no total | 1.00 | 0.900 | 0.950 | 0.100 |" in text
    assert "| req/s, 32 conn: page + totalCount | 100 | 1,100 | 1,300 | 20,000 |" in text
    assert "| {__typename} p50 <= 0.30 ms | 0.25 ms | 0.26 ms | yes |" in text
    assert "same 20 ids of 10 fields" in text


def test_results_are_written_as_peers_json_and_markdown(tmp_path: Path) -> None:
    result = _result([100 * MIB, 110 * MIB])
    path = write_peers_results(result, tmp_path)
    assert path.name == "peers-2026-11-28T123456-1000000.json"
    assert orjson.loads(path.read_bytes()) == result
    assert path.with_suffix(".md").read_text() == markdown(result)


def test_a_rate_under_ten_requests_per_second_keeps_a_decimal() -> None:
    result = _result([100 * MIB, 110 * MIB])
    result["cases"][2]["per_second"] = 0.0  # none completed in the window
    assert "| req/s, 32 conn: page + totalCount | 0.0 | 1,100 | 1,300 | 20,000 |" in markdown(
        result
    )


def test_the_memory_run_names_what_it_sent() -> None:
    result = _result([80 * MIB, 100 * MIB, 101 * MIB])
    assert "Memory run: Insighta page cached + totalCount at" in markdown(result)
    result["memory"]["label"] = "Insighta page uncached + totalCount"
    text = markdown(result)
    assert "Memory run: Insighta page uncached + totalCount at" in text
    assert "flat memory (Insighta page uncached + totalCount, RSS growth" in text
