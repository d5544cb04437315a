"""The side-by-side run's report: ratios against PostGraphile and the transport floor measured in
the same rounds, the issue's targets beside them, memory; `peers-<time>-<N>.json` and `.md`
under bench/results/ (docs/performance.md quotes them by hand)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench.memory import mib
from bench.report import write_run

# Flat memory: RSS after the last window within this fraction of RSS after the first window
# (the first window fills pools, caches and allocator arenas).
FLAT_MEMORY_GROWTH: Final = 0.05


@dataclass(frozen=True)
class Target:
    text: str
    measured: str
    workers_measured: str  # the same figure for the `--workers N` column, "" when none
    met: bool


def write_peers_results(result: dict[str, Any], directory: Path) -> Path:
    return write_run(result, directory, markdown(result), prefix="peers-")


def ratios(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per case: p50 over PostGraphile's page without total and over the floor; requests/s over
    PostGraphile's best case and over the floor."""
    cases = {case["key"]: case for case in result["cases"]}
    floor, page = cases["floor"], cases["pg_page"]
    best = max(cases["pg_page"]["per_second"], cases["pg_page_total"]["per_second"])
    return {
        key: {
            "p50_vs_postgraphile": case["p50_ms"] / page["p50_ms"],
            "p50_vs_floor": case["p50_ms"] / floor["p50_ms"],
            "per_second_vs_postgraphile": case["per_second"] / best,
            "per_second_vs_floor": case["per_second"] / floor["per_second"],
        }
        for key, case in cases.items()
    }


def _memory_label(memory: dict[str, Any]) -> str:
    """What the memory run sent; runs recorded before it could vary sent the cached page."""
    return str(memory.get("label", "Insighta page cached + totalCount"))


def memory_growth(memory: dict[str, Any]) -> dict[str, float]:
    samples = memory["samples"]
    loaded = samples[1:] or samples
    first, last = loaded[0]["rss"], loaded[-1]["rss"]
    return {
        "idle_mib": mib(samples[0]["rss"]),
        "first_mib": mib(first),
        "last_mib": mib(last),
        "peak_mib": mib(max(sample["rss"] for sample in loaded)),
        "growth_mib": mib(last - first),
        "growth": (last - first) / first,
        "requests": samples[-1]["requests"],
        "seconds": samples[-1]["seconds"],
        "errors": samples[-1]["non_2xx"],
    }


def targets(result: dict[str, Any]) -> list[Target]:
    cases = {case["key"]: case for case in result["cases"]}
    suffix = f"_w{result['workers']}" if f"cached_page_w{result['workers']}" in cases else None
    pg_page = cases["pg_page"]
    pg_best = max(pg_page["per_second"], cases["pg_page_total"]["per_second"])

    def both(measure: Any, key: str) -> tuple[float, float | None]:
        one = measure(cases[key])
        many = measure(cases[key + suffix]) if suffix else None
        return one, many

    def line(text: str, key: str, measure: Any, limit: float, unit: str, at_most: bool) -> Target:
        one, many = both(measure, key)
        met = one <= limit if at_most else one >= limit
        return Target(text, f"{one:.2f}{unit}", "" if many is None else f"{many:.2f}{unit}", met)

    found = [
        line("cached page p50 <= 0.35 ms", "cached_page", lambda c: c["p50_ms"], 0.35, " ms", True),
        line(
            "cached page requests/s at 32 connections >= 3x PostGraphile's best",
            "cached_page",
            lambda c: c["per_second"] / pg_best,
            3.0,
            "x",
            False,
        ),
        line(
            "uncached page p50 <= 1.0x PostGraphile's page without total",
            "uncached_page",
            lambda c: c["p50_ms"] / pg_page["p50_ms"],
            1.0,
            "x",
            True,
        ),
        line(
            "uncached page with exact totalCount p50 <= 1.25x PostGraphile's page without total",
            "uncached_total",
            lambda c: c["p50_ms"] / pg_page["p50_ms"],
            1.25,
            "x",
            True,
        ),
        line(
            "uncached requests/s with totals >= PostGraphile's without",
            "uncached_total",
            lambda c: c["per_second"] / pg_page["per_second"],
            1.0,
            "x",
            False,
        ),
        line("{__typename} p50 <= 0.30 ms", "typename", lambda c: c["p50_ms"], 0.30, " ms", True),
    ]
    insighta = [case for case in result["cases"] if case["server"].startswith("insighta")]
    errors = sum(case["non_2xx"] + case["socket_errors"] for case in insighta)
    found.append(
        Target(
            "zero non-2xx (and socket errors), every Insighta case", str(errors), "", errors == 0
        )
    )
    memory = result.get("memory")
    if memory:
        growth = memory_growth(memory)
        found.append(
            Target(
                f"flat memory ({_memory_label(memory)}, RSS growth <= {FLAT_MEMORY_GROWTH:.0%}"
                " after the first window)",
                f"{growth['growth']:+.1%} ({growth['growth_mib']:+.1f} MiB over"
                f" {growth['requests']:,} requests)",
                "",
                growth["growth"] <= FLAT_MEMORY_GROWTH,
            )
        )
    return found


def _rate(value: float) -> str:
    # PostGraphile's exact count at 10M completes no request at all in a short window.
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def markdown(result: dict[str, Any]) -> str:
    cases = {case["key"]: case for case in result["cases"]}
    by_case = ratios(result)
    versions = result["versions"]
    lines = [
        f"Run {result['started_at'][:19]}Z, {result['profiles']:,} profiles, {result['cpus']} CPUs"
        f" (`{result['command']}`). {versions['wrk']}; PostGraphile"
        f" {versions['postgraphile']} with postgraphile-plugin-connection-filter"
        f" {versions['postgraphile-plugin-connection-filter']} on node {versions['node']}."
        f" Medians of {result['rounds']} rounds (case order reversed every other round), each"
        f" window {result['seconds']:g} s: p50 at 1 connection (wrk -t1 -c1), requests/s at"
        f" {result['connections']} connections (wrk -t{result['threads']}"
        f" -c{result['connections']}). Ratios are against figures from the same rounds:"
        " PostGraphile's page without total (p50) or its best case (requests/s), and the floor.",
        "",
        "| case | p50 ms | p99 ms | req/s | p50 / PostGraphile | p50 / floor"
        " | req/s / PostGraphile best | req/s / floor | non-2xx | socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, case in cases.items():
        ratio = by_case[key]
        lines.append(
            f"| {case['label']} | {_ms(case['p50_ms'])} | {_ms(case['p99_ms'])}"
            f" | {_rate(case['per_second'])} | {ratio['p50_vs_postgraphile']:.2f}x"
            f" | {ratio['p50_vs_floor']:.1f}x | {ratio['per_second_vs_postgraphile']:.2f}x"
            f" | {ratio['per_second_vs_floor']:.2f}x | {case['non_2xx']}"
            f" | {case['socket_errors']} |"
        )
    lines += [
        "",
        *side_by_side(result),
        "",
        f"| target | 1 worker | --workers {result['workers']} | met |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {t.text} | {t.measured} | {t.workers_measured or '-'} | {'yes' if t.met else 'no'} |"
        for t in targets(result)
    ]
    lines += ["", "| server | RSS before, MiB | RSS after the rounds, MiB |", "|---|---:|---:|"]
    lines += [
        f"| {name} | {mib(rss['rss_start']):.1f} | {mib(rss['rss_end']):.1f} |"
        for name, rss in result["servers"].items()
    ]
    memory = result.get("memory")
    if memory:
        growth = memory_growth(memory)
        lines += [
            "",
            f"Memory run: {_memory_label(memory)} at {result['connections']} connections,"
            f" {growth['requests']:,} requests in {growth['seconds']:.0f} s, RSS every"
            f" {memory['interval']:g} s: idle {growth['idle_mib']:.1f} MiB, after the first"
            f" window {growth['first_mib']:.1f}, peak {growth['peak_mib']:.1f}, last"
            f" {growth['last_mib']:.1f} ({growth['growth']:+.1%}); {growth['errors']} errors.",
        ]
    check = result["check"]
    lines += [
        "",
        f"Checked before timing: both servers answer the same {check['rows']} ids of"
        f" {check['fields']} fields newest first (first {check['first_id']}) and the same"
        f" totalCount {check['total']:,}; Insighta's page is {check['body_bytes']:,} bytes, the"
        " floor answers those bytes.",
    ]
    return "\n".join(lines) + "\n"


def side_by_side(result: dict[str, Any]) -> list[str]:
    """p50 at 1 connection and requests/s at 32 for both servers, and the `--workers N` column."""
    cases = {case["key"]: case for case in result["cases"]}
    workers = result["workers"]
    rows = [
        ("page, no total", "pg_page", "uncached_page"),
        ("page + totalCount", "pg_page_total", "uncached_total"),
        ("page + totalCount, cached", None, "cached_page"),
        ("{__typename}", None, "typename"),
    ]
    lines = [
        f"| | PostGraphile | Insighta | Insighta --workers {workers} | floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for metric, field, fmt in (
        ("p50 ms, 1 conn", "p50_ms", _ms),
        (f"req/s, {result['connections']} conn", "per_second", _rate),
    ):
        for label, theirs, ours in rows:
            many = cases.get(f"{ours}_w{workers}")
            lines.append(
                f"| {metric}: {label} | {fmt(cases[theirs][field]) if theirs else '-'}"
                f" | {fmt(cases[ours][field])} | {fmt(many[field]) if many else '-'}"
                f" | {fmt(cases['floor'][field])} |"
            )
    return lines
