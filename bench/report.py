"""Results: a JSON file and a markdown table per run, the newest table again as latest.md; all
under bench/results/ (docs link to the files, nothing outside the folder is rewritten)."""

import math
import statistics
from pathlib import Path
from typing import Any

import orjson


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "mean": statistics.fmean(values),
        "n": len(values),
    }


def write_results(result: dict[str, Any], directory: Path) -> Path:
    table = markdown(result)
    path = write_run(result, directory, table)
    (directory / "latest.md").write_text(table)
    return path


def write_run(result: dict[str, Any], directory: Path, table: str, *, prefix: str = "") -> Path:
    """`<prefix><started_at>-<profiles>.json` (the result) and `.md` (`table`) in `directory`;
    returns the JSON file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{prefix}{result['started_at'][:19].replace(':', '')}-{result['profiles']}"
    path = directory / f"{stem}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (directory / f"{stem}.md").write_text(table)
    return path


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def markdown(result: dict[str, Any]) -> str:
    totals = result["totals"]
    lines = [
        f"Run {result['started_at'][:19]}Z, {result['profiles']:,} profiles, "
        f"PostgreSQL {result['server_version']}, {result['cpus']} CPUs, "
        f"{'quick' if result['quick'] else 'full'} run (`{result['command']}`). "
        "Latencies in ms over HTTP from a separate client process; raw SQL = the same page + "
        "COUNT(*) through asyncpg, measured interleaved with each HTTP request.",
        "",
        "| | p50 | p95 | p99 |",
        "|---|---:|---:|---:|",
        f"| raw SQL page + COUNT(*) | {_row(totals['raw'])} |",
        f"| API uncached (cache miss) | {_row(totals['uncached'])} |",
        f"| API cached (cache hit) | {_row(totals['cached'])} |",
        "",
        f"Uncached p50 / raw p50 = **{totals['uncached_vs_raw_p50']:.2f}x** (target <= 1.0); "
        f"uncached p95 {_ms(totals['uncached']['p95'])} ms (target <= 15); cached p50 "
        f"{_ms(totals['cached']['p50'])} ms (target <= 1.5).",
        "",
    ]
    lines += _throughput(result)
    lines += [
        "",
        "| page 1 vs page 1000, over HTTP | page 1 p50 | page 1000 p50 | ratio (target <= 1.2) |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {f['sort']} | {_ms(f['page_1_p50'])} | {_ms(f['page_1000_p50'])} | {f['ratio']:.2f} |"
        for f in result["flatness"]
    ]
    lines += [
        "",
        "| page statement alone (SQL, 200 runs) | page 1 p50 | page 1000 p50 | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {f['sort']} | {f['page_1_p50']:.3f} | {f['page_1000_p50']:.3f} | {f['ratio']:.2f} |"
        for f in result.get("sql_flatness", [])
    ]
    lines += [
        "",
        "| case | raw p50 | uncached p50 | uncached p95 | uncached/raw | cached p50 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in result["cases"]:
        raw, uncached, cached = case["raw"], case["uncached"], case["cached"]
        lines.append(
            f"| {case['name']} | {_ms(raw['p50'])} | {_ms(uncached['p50'])}"
            f" | {_ms(uncached['p95'])} | {uncached['p50'] / raw['p50']:.2f}"
            f" | {_ms(cached['p50'])} |"
        )
    lines += [
        "",
        f"Ingestion cost per index ({result['index_costs'][0]['rows']:,}"
        " new rows through the normal write path into this table, best of three, rolled back):",
        "",
        "| indexes | rows/s | seconds |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {cost['configuration']} | {cost['rows_per_second']:,.0f} | {cost['seconds']:.2f} |"
        for cost in result["index_costs"]
    ]
    lines += _storage(result)
    load = result.get("load")
    if load:
        lines += [
            "",
            f"Dataset load: {load['inserted']:,} rows in {load['seconds']:.1f} s "
            f"({load['rows_per_second']:,.0f} rows/s end to end: COPY, index builds, rollup, "
            f"VACUUM ANALYZE; COPY alone {load['copy_rows_per_second']:,.0f} rows/s).",
        ]
    return "\n".join(lines) + "\n"


def _throughput(result: dict[str, Any]) -> list[str]:
    by_workers = result.get("throughput_by_workers", {})
    if len(by_workers) < 2:
        lines = [
            "| clients | requests/s (cached mix) | errors |",
            "|---:|---:|---:|",
        ]
        lines += [
            f"| {t['clients']} | {t['per_second']:,.0f} | {t['errors']} |"
            for t in result["throughput"]
        ]
        return lines + _load_note(result["throughput"])
    workers = result["workers"]
    lines = [
        f"| clients | 1 worker, requests/s | {workers} workers, requests/s | {workers} vs 1"
        " | client CPU, cores (1 / N) | errors |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = {scaling["clients"]: scaling["ratio"] for scaling in result.get("scaling", [])}
    for one, many in zip(by_workers["1"], by_workers[str(workers)], strict=True):
        ratio = ratios.get(one["clients"], many["per_second"] / one["per_second"])
        lines.append(
            f"| {one['clients']} | {one['per_second']:,.0f} | {many['per_second']:,.0f}"
            f" | {ratio:.2f}x"
            f" | {one['client_cpu']:.2f} / {many['client_cpu']:.2f}"
            f" | {one['errors'] + many['errors']} |"
        )
    rounds = len(result.get("scaling", [{}])[0].get("round_ratios", [])) or 1
    if rounds > 1:
        lines += [
            "",
            f"requests/s: the median of {rounds} windows per worker count; {workers} vs 1: the "
            f"median ratio of {rounds} back-to-back pairs (order alternated), every pair: "
            + "; ".join(
                f"{s['clients']} clients "
                + ", ".join(f"{ratio:.2f}" for ratio in s["round_ratios"])
                for s in result["scaling"]
            )
            + ".",
        ]
    return lines + _load_note(by_workers[str(workers)])


def _load_note(runs: list[dict[str, Any]]) -> list[str]:
    if not runs or "client_cpu" not in runs[0]:
        return []
    processes = max(run.get("processes", 1) for run in runs)
    return [
        "",
        f"Load: up to {processes} client processes (httpx, one per core); the load generator "
        "and the server share this machine's CPUs, so every figure is a lower bound on what "
        "the server alone would do, and a ratio of two servers under the same load.",
    ]


def _storage(result: dict[str, Any]) -> list[str]:
    storage = result.get("storage")
    if not storage:
        return []
    profiles = storage["profiles"]
    lines = [
        "",
        f"Storage at {profiles:,} profiles (before the index-cost inserts):",
        "",
        "| relation | MB | bytes per profile |",
        "|---|---:|---:|",
        f"| profiles heap | {storage['heap'] / 1e6:,.0f} | {storage['heap'] / profiles:.1f} |",
    ]
    lines += [
        f"| {index['name']} | {index['bytes'] / 1e6:,.0f} | {index['bytes'] / profiles:.1f} |"
        for index in storage["index_sizes"]
    ]
    lines.append(
        f"| profiles, all indexes | {storage['indexes'] / 1e6:,.0f}"
        f" | {storage['indexes'] / profiles:.1f} |"
    )
    lines.append(
        f"| profiles, total | {storage['total'] / 1e6:,.0f} | {storage['total'] / profiles:.1f} |"
    )
    lines += [
        f"| {rollup['table']} ({rollup['rows']:,} rows) | {rollup['bytes'] / 1e6:,.2f} | |"
        for rollup in storage["rollups"]
    ]
    return lines


def _row(stats: dict[str, float]) -> str:
    return f"{_ms(stats['p50'])} | {_ms(stats['p95'])} | {_ms(stats['p99'])}"
