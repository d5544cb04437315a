"""The scale model: the newest measured run at each dataset size, the trend between the
two largest sizes (as a factor per 10x profiles), and what that trend gives at
100M and 1B profiles on one node.

Two sizes make a two-point power law: storage extrapolates well (it is bytes per row times
rows), latencies only while the hot indexes stay in memory, and the table says which figures
were measured and which are extrapolated. `python -m bench.scale_model` rewrites
bench/results/scale_model.{md,json} from the results already there; `python -m bench` does it
after every run.
"""

import math
import statistics
from pathlib import Path
from typing import Any, Final

import orjson

TARGETS: Final = (100_000_000, 1_000_000_000)
GB: Final = 1e9
NOTES_MARKER: Final = "<!-- notes: written by hand, kept when the tables above are rebuilt -->"


def latest_runs(directory: Path) -> dict[int, dict[str, Any]]:
    """The newest run per size among those that measured storage (the scale model's input).

    Storage is taken from the newest run that found its dataset as loaded: every run's
    index-cost measurement inserts and rolls back rows, and VACUUM makes that space reusable
    without returning it, so a dataset measured after that reads larger than a fresh load."""
    runs: dict[int, dict[str, Any]] = {}
    fresh: dict[int, dict[str, Any]] = {}
    for path in sorted(directory.glob("*-*.json")):
        try:
            result = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        if not isinstance(result, dict) or "storage" not in result:
            continue
        result["file"] = path.name
        size = int(result["profiles"])
        runs[size] = result  # sorted by start time: the last one wins
        if result.get("storage_fresh", bool(result.get("load"))):
            fresh[size] = result
    for size, result in runs.items():
        source = fresh.get(size, result)
        result["storage"] = source["storage"]
        result["storage_file"] = source["file"]
        result["storage_fresh"] = source is fresh.get(size)
    return runs


def per_ten_x(small: float, large: float, sizes: tuple[int, int]) -> float:
    """The factor a figure grows by per 10x profiles, from two sizes."""
    decades = math.log10(sizes[1] / sizes[0])
    return float((large / small) ** (1 / decades))


def figures(run: dict[str, Any]) -> dict[str, float]:
    """The figures the model follows across sizes, flat: name -> value."""
    storage = run["storage"]
    profiles = storage["profiles"]
    totals = run["totals"]
    out: dict[str, float] = {
        "heap bytes/profile": storage["heap"] / profiles,
        "indexes bytes/profile": storage["indexes"] / profiles,
        "total bytes/profile": storage["total"] / profiles,
    }
    for index in storage["index_sizes"]:
        out[f"{index['name']} bytes/profile"] = index["bytes"] / profiles
    out["rollup rows"] = sum(rollup["rows"] for rollup in storage["rollups"])
    out["rollup bytes"] = sum(rollup["bytes"] for rollup in storage["rollups"])
    for kind in ("raw", "uncached", "cached"):
        for stat in ("p50", "p95"):
            out[f"{kind} {stat} ms"] = totals[kind][stat]
    sql = run.get("sql_flatness", [])
    if sql:
        out["page statement p50 ms, page 1000"] = statistics.median(f["page_1000_p50"] for f in sql)
        out["page 1000 / page 1 (page statement)"] = statistics.median(f["ratio"] for f in sql)
    build = run.get("dataset_build") or run.get("load")
    if build:
        out["dataset build rows/s"] = build["rows_per_second"]
        out["COPY rows/s"] = build["copy_rows_per_second"]
    for cost in run.get("index_costs", []):
        if cost["configuration"] == "all indexes":
            out["write path rows/s, all indexes"] = cost["rows_per_second"]
    for count, runs in run.get("throughput_by_workers", {}).items():
        for t in runs:
            out[f"requests/s, {t['clients']} clients, {count} worker(s)"] = t["per_second"]
    for scaling in run.get("scaling") or []:
        out[f"{scaling['workers']} vs 1 workers, {scaling['clients']} clients"] = scaling["ratio"]
    return out


def build_model(runs: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    if not runs:
        return None
    sizes = sorted(runs)
    by_size = {size: figures(runs[size]) for size in sizes}
    model: dict[str, Any] = {
        "sizes": sizes,
        "runs": {str(size): runs[size]["file"] for size in sizes},
        "commands": {str(size): runs[size]["command"] for size in sizes},
        "storage_from": {
            str(size): {"file": runs[size]["storage_file"], "fresh": runs[size]["storage_fresh"]}
            for size in sizes
        },
        "figures": {str(size): by_size[size] for size in sizes},
        "cases": _cases(runs, sizes),
        "scaling": {str(size): runs[size].get("scaling") for size in sizes},
        "memory_bytes": max((runs[size].get("memory_bytes") or 0) for size in sizes) or None,
    }
    if len(sizes) < 2:
        return model
    # The two largest sizes: the closest to what is extrapolated, and a small test run
    # (`--profiles 20000`) left in the results does not set the trend.
    small, large = sizes[-2], sizes[-1]
    trend = {
        name: per_ten_x(by_size[small][name], value, (small, large))
        for name, value in by_size[large].items()
        if name in by_size[small] and by_size[small][name] > 0 and value > 0
    }
    model["trend_between"] = [small, large]
    model["per_10x"] = trend
    largest = by_size[large]
    extrapolated: dict[str, dict[str, float]] = {}
    for target in TARGETS:
        decades = math.log10(target / large)
        row = {
            # Bytes per profile barely move with size; totals are that times the profiles.
            name.replace(" bytes/profile", " GB"): largest[name] * target / GB
            for name in ("heap bytes/profile", "indexes bytes/profile", "total bytes/profile")
        }
        row["rollup rows"] = largest["rollup rows"] * trend["rollup rows"] ** decades
        for name in trend:
            # A cache hit reads no profile: what it costs does not follow the table's size, so
            # its 1M-to-10M difference is the machine's noise and is not carried forward.
            if name.endswith(" ms") and not name.startswith("cached"):
                row[name] = largest[name] * trend[name] ** decades
        extrapolated[str(target)] = row
    model["extrapolated"] = extrapolated
    return model


def _cases(runs: dict[int, dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    """Uncached p50 per case at each size: which queries grow with the data."""
    names = [case["name"] for case in runs[sizes[-1]]["cases"]]
    rows = []
    for name in names:
        row: dict[str, Any] = {"name": name}
        for size in sizes:
            case = next((c for c in runs[size]["cases"] if c["name"] == name), None)
            if case is not None:
                row[str(size)] = {
                    "uncached_p50": case["uncached"]["p50"],
                    "raw_p50": case["raw"]["p50"],
                }
        rows.append(row)
    return rows


def write_scale_model(directory: Path) -> Path | None:
    model = build_model(latest_runs(directory))
    if model is None:
        return None
    (directory / "scale_model.json").write_bytes(orjson.dumps(model, option=orjson.OPT_INDENT_2))
    path = directory / "scale_model.md"
    # The reading of the figures is written by hand below the marker and survives reruns.
    notes = ""
    if path.exists():
        _, marker, rest = path.read_text().partition(NOTES_MARKER)
        notes = marker + rest
    path.write_text(markdown(model) + ("\n" + notes if notes else ""))
    return path


def _n(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _size(size: int) -> str:
    for unit, name in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{name}"
    return f"{size:,}"


def markdown(model: dict[str, Any]) -> str:
    sizes: list[int] = model["sizes"]
    figures_by_size = model["figures"]
    trend = model.get("per_10x", {})
    lines = [
        "# Scale model",
        "",
        "Generated by `bench/scale_model.py` from the newest `python -m bench` run at each size "
        "that measured storage: "
        + ", ".join(
            f"{_size(s)} `{model['runs'][str(s)]}` (`{model['commands'][str(s)]}`)" for s in sizes
        )
        + ". Storage from "
        + ", ".join(
            f"`{source['file']}`"
            + (" (as loaded)" if source["fresh"] else " (after earlier index-cost runs)")
            for source in model["storage_from"].values()
        )
        + ". One 2-core machine shared by PostgreSQL 15, the server, the load generator and "
        "other work: latencies and throughput carry that noise; storage does not.",
        "",
        "| figure | " + " | ".join(_size(s) for s in sizes) + (" | per 10x |" if trend else " |"),
        "|---|" + "---:|" * len(sizes) + ("---:|" if trend else ""),
    ]
    for name in figures_by_size[str(sizes[-1])]:
        cells = [
            _n(figures_by_size[str(s)][name]) if name in figures_by_size[str(s)] else ""
            for s in sizes
        ]
        tail = (
            f" | {trend[name]:.2f}x |" if trend and name in trend else (" | |" if trend else " |")
        )
        lines.append(f"| {name} | " + " | ".join(cells) + tail)
    extrapolated = model.get("extrapolated")
    if extrapolated:
        targets = list(extrapolated)
        lines += [
            "",
            "Extrapolated to one node (storage: bytes per profile at the largest measured size "
            "times profiles; latencies: the per-10x factor applied per decade, meaningful only "
            "while the indexes the reads use stay in memory; cached latency is not extrapolated, "
            "a cache hit reads no profile):",
            "",
            "| figure | " + " | ".join(_size(int(t)) for t in targets) + " |",
            "|---|" + "---:|" * len(targets),
        ]
        for name in extrapolated[targets[0]]:
            lines.append(
                f"| {name} | " + " | ".join(_n(extrapolated[t][name]) for t in targets) + " |"
            )
    if len(sizes) >= 2:
        small, large = str(sizes[-2]), str(sizes[-1])
        lines += [
            "",
            f"Uncached p50 per case, ms ({_size(sizes[-2])} -> {_size(sizes[-1])}), "
            "largest growth first:",
            "",
            f"| case | {_size(sizes[-2])} | {_size(sizes[-1])} | growth | raw SQL growth |",
            "|---|---:|---:|---:|---:|",
        ]
        rows = [c for c in model["cases"] if small in c and large in c]
        rows.sort(key=lambda c: c[large]["uncached_p50"] / c[small]["uncached_p50"], reverse=True)
        for c in rows:
            lines.append(
                f"| {c['name']} | {_n(c[small]['uncached_p50'])} | {_n(c[large]['uncached_p50'])}"
                f" | {c[large]['uncached_p50'] / c[small]['uncached_p50']:.2f}x"
                f" | {c[large]['raw_p50'] / c[small]['raw_p50']:.2f}x |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    written = write_scale_model(Path(__file__).resolve().parent / "results")
    print(written or "no run with storage figures yet")
