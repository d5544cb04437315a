"""Where a threshold case's exact total comes from, timed both ways in the same minutes.

For every probability-threshold case of the bench mix, the page statement the API runs (page +
total from the table `count_source` picks) against the same page with its total counted from
the rows (what every country + threshold filter did before the histogram by country, 0046),
interleaved so that both see the same load on the machine. The dataset must exist (`python -m
bench` builds it and applies the migrations).

    uv run python -m bench.count_sources --profiles 10000000

DATABASE_URL names the server (default postgresql://postgres@127.0.0.1:5432/postgres). Writes
bench/results/count_sources-<N>.json and .md.
"""

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import asyncpg
import orjson

from bench.dataset import database_dsn
from bench.workload import CASES
from db.pool import SERVER_SETTINGS
from db.profiles import page_statement

RESULTS: Final = Path(__file__).resolve().parent / "results"
DEFAULT_SERVER: Final = "postgresql://postgres@127.0.0.1:5432/postgres"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


async def measure(dsn: str, repeats: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn, server_settings=dict(SERVER_SETTINGS))
    try:
        results = []
        for case in (case for case in CASES if case.group == "threshold"):
            values = case.filter_values()
            key = (case.sort.field.value, case.sort.order.name == "DESC")
            sources = dict.fromkeys((values.count_source, "rows"))
            args = (*values.args(), None, None, case.first + 1)
            timings: dict[str, list[float]] = {source: [] for source in sources}
            totals: dict[str, int] = {}
            for source in sources:  # warm each plan and the pages it reads
                await conn.fetch(page_statement(*key, source), *args)
            for _ in range(repeats):
                for source in sources:
                    started = time.perf_counter()
                    rows = await conn.fetch(page_statement(*key, source), *args)
                    timings[source].append((time.perf_counter() - started) * 1000)
                    totals[source] = rows[0]["total_count"]
            results.append(
                {
                    "case": case.name,
                    "count_source": values.count_source,
                    "totals": totals,
                    "timings": {
                        source: {
                            "p50": statistics.median(values_ms),
                            "p95": _percentile(values_ms, 0.95),
                            "max": max(values_ms),
                        }
                        for source, values_ms in timings.items()
                    },
                }
            )
        return results
    finally:
        await conn.close()


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Run {result['started_at'][:19]}Z, {result['profiles']:,} profiles, page statement"
        f" (20 rows + exact total) through asyncpg, {result['repeats']} interleaved runs per"
        " source. ms.",
        "",
        "| case | total from | p50 | p95 | from rows p50 | from rows p95 | p50 ratio"
        " | totals agree |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for case in result["cases"]:
        source = case["count_source"]
        used, rows = case["timings"][source], case["timings"]["rows"]
        lines.append(
            f"| {case['case']} | {source} | {used['p50']:.2f} | {used['p95']:.2f}"
            f" | {rows['p50']:.2f} | {rows['p95']:.2f} | {used['p50'] / rows['p50']:.3f}"
            f" | {len(set(case['totals'].values())) == 1} |"
        )
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.count_sources")
    parser.add_argument("--profiles", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--database", help="[default: insighta_bench_<profiles>]")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    dsn = database_dsn(server, args.database or f"insighta_bench_{args.profiles}")
    result = {
        "started_at": datetime.now(UTC).isoformat(),
        "profiles": args.profiles,
        "repeats": args.repeats,
        "cases": await measure(dsn, args.repeats),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"count_sources-{args.profiles}"
    stem.with_suffix(".json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    table = markdown(result)
    stem.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    asyncio.run(main())
