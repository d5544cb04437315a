"""`uv run python -m bench.citus [--profiles N] [--quick]`: the API on a Citus cluster beside one
PostgreSQL node, in one run (docs/performance.md, "Citus beside one node").

Both sides are started here from the same binaries (/usr/lib/postgresql/15/bin) with the same
postgresql.conf settings (tests/citus/cluster.py): a coordinator and two workers with
`citus.shard_count = 4`, and one plain node without Citus. Each gets the same N synthetic
profiles through `insighta migrate`'s migrations and the seeder's loader (bench/dataset.py),
then its own `insighta serve` with every cache off. Then:

- the query mix (bench/workload.py), one request at a time, each case on both servers back to
  back (which goes first alternates by round): page p50 and p95 per case and overall, and
  Citus / single-node ratios;
- CSV ingestion through each server (the upload `insighta ingest` makes), two files of `rows`
  rows, half new names and half stored ones (bench/ingestion.py's files), each file on both
  sides, alternating which goes first: seconds, rows/s, single / Citus time ratios;
- afterwards, the rollups against a recount on both sides (exact totals).

Writes bench/results/citus-<time>-<N>.json and .md. Timed runs on a shared machine: wrap the
command in `flock /tmp/insighta-bench.lock`.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import asyncpg
import orjson

from bench import ingestion
from bench.baseline import deep_cursor
from bench.dataset import database_dsn, dataset_name, ensure_dataset, load_fields
from bench.http_load import GraphQLClient
from bench.report import summary, write_run
from bench.run import RESULTS, ROOT, case_body
from bench.server import ServedProcess, running_server_process
from bench.workload import CASES
from db import rollups as rollups_db
from tests.citus.cluster import (
    CitusServers,
    Node,
    citus_servers,
    create_database,
    form_cluster,
    postgres_nodes,
)

TARGETS: Final = ("citus", "single")
# From the issue (#19, Targets): same box, compared with single-node.
PAGE_P50_TARGET: Final = 2.0  # Citus page p50 at most 2x single-node
INGESTION_TARGET: Final = 0.66  # Citus ingestion throughput at least 0.66x single-node
TIMED_FILES: Final = 2
WARMUP_ROWS: Final = 1000

log = ingestion.log


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    dsn: str  # the dataset database; on Citus, the coordinator's
    node_dsns: tuple[str, ...]  # the same database on every node (for checkpoints)
    load: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Served:
    target: Target
    process: ServedProcess

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def url(self) -> str:
        return self.process.url


@dataclass(frozen=True, slots=True)
class Files:
    warmup: Path
    timed: tuple[Path, ...]
    rows: int
    new: int
    stored: int


# ----------------------------------------------------------------------------- databases


@contextlib.contextmanager
def started_nodes() -> Iterator[dict[str, list[Node]]]:
    """The cluster's nodes (coordinator first) and the single node, all running."""
    with citus_servers() as cluster, postgres_nodes(["single"], citus=False) as single:
        yield {"citus": [cluster.coordinator, *cluster.workers], "single": single}


async def prepare(name: str, nodes: Sequence[Node], profiles: int) -> Target:
    """The dataset database on every node (and, with workers, formed into a Citus cluster),
    migrated (so laid out on Citus) and filled with `profiles` synthetic profiles."""
    database = dataset_name(profiles)
    await create_database(nodes, database)
    if len(nodes) > 1:
        await form_cluster(CitusServers(nodes[0], tuple(nodes[1:])), database=database)
    log(f"{name}: loading {profiles:,} synthetic profiles")
    dataset = await ensure_dataset(
        nodes[0].dsn, profiles, seed=ingestion.SYNTHETIC_SEED, on_progress=_progress(name, profiles)
    )
    load = None if dataset.load is None else load_fields(dataset.load)
    log(f"{name}: loaded {load}")
    node_dsns = tuple(database_dsn(node.dsn, database) for node in nodes)
    return Target(name, dataset.dsn, node_dsns, load)


def _progress(name: str, total: int) -> Callable[[int], None]:
    """Logs the load's progress at each quarter passed."""
    logged = [0]

    def report(rows: int) -> None:
        quarter = rows * 4 // max(total, 1)
        if quarter > logged[0]:
            logged[0] = quarter
            log(f"{name}: {rows:,} rows")

    return report


async def versions(target: Target) -> dict[str, Any]:
    conn = await asyncpg.connect(target.dsn)
    try:
        return {
            "postgres": await conn.fetchval("show server_version"),
            "citus": await conn.fetchval(
                "select extversion from pg_extension where extname = 'citus'"
            ),
            "shard_count": await conn.fetchval(
                "select count(*) from pg_dist_shard where logicalrelid = 'profiles'::regclass"
            )
            if target.name == "citus"
            else None,
            "shared_buffers": await conn.fetchval("show shared_buffers"),
            "fsync": await conn.fetchval("show fsync"),
        }
    finally:
        await conn.close()


async def exactness(target: Target, expected: int) -> dict[str, Any]:
    """Profiles stored against the count expected, and rollup rows differing from a recount."""
    conn = await asyncpg.connect(target.dsn)
    try:
        stored = int(await conn.fetchval("select count(*) from profiles"))
        differences = await rollups_db.select_differences(conn, limit=10)
    finally:
        await conn.close()
    return {
        "profiles": stored,
        "expected": expected,
        "rollup_differences": len(differences),
        "exact": stored == expected and not differences,
    }


# ----------------------------------------------------------------------------- servers


@asynccontextmanager
async def serving(targets: Sequence[Target], workdir: Path) -> AsyncIterator[list[Served]]:
    """`insighta serve` for each target, every cache off, uploads spooled under `workdir`."""
    async with AsyncExitStack() as stack:
        served = []
        for target in targets:
            process = await stack.enter_async_context(
                running_server_process(
                    target.dsn,
                    ingestion.SECRET.reveal(),
                    log_path=_server_log(target.name),
                    cache_ttl_seconds=0,
                    extra_environment={
                        "RESPONSE_CACHE": "false",
                        "INSIGHTA_DATA_DIR": str(workdir / f"data-{target.name}"),
                    },
                )
            )
            served.append(Served(target, process))
        yield served


def _server_log(name: str) -> Path:
    return RESULTS / f"server-citus-bench-{name}.log"


def _alternating(served: Sequence[Served], round_: int) -> list[Served]:
    """Which side goes first alternates: drift in the machine's load falls on both."""
    return list(served) if round_ % 2 == 0 else list(reversed(served))


# ----------------------------------------------------------------------------- queries


async def measure_queries(served: Sequence[Served], rounds: int) -> dict[str, Any]:
    clients = {side.name: GraphQLClient(side.url, ingestion.TOKEN) for side in served}
    try:
        bodies = {side.name: await _case_bodies(side.target) for side in served}
        answers = {
            side.name: [await clients[side.name].post(body) for body in bodies[side.name]]
            for side in served
        }  # also warms connections and plans
        times: dict[str, list[list[float]]] = {side.name: [[] for _ in CASES] for side in served}
        log(f"query mix: {rounds} rounds of {len(CASES)} cases on each side, no cache")
        for round_ in range(rounds):
            for index in range(len(CASES)):
                for side in _alternating(served, round_):
                    elapsed = await clients[side.name].timed(bodies[side.name][index])
                    times[side.name][index].append(elapsed)
    finally:
        for client in clients.values():
            await client.close()
    return _query_results(times, rounds) | {"answers_equal": _same_answers(answers)}


async def _case_bodies(target: Target) -> list[bytes]:
    """Each case's request; deep pages start after the cursor found on this database."""
    conn = await asyncpg.connect(target.dsn)
    try:
        return [case_body(case, await deep_cursor(conn, case)) for case in CASES]
    finally:
        await conn.close()


def _same_answers(answers: dict[str, list[bytes]]) -> bool:
    """Whether every case answered the same on both sides (same seed, so the same rows)."""
    parsed = [[orjson.loads(body)["data"] for body in side] for side in answers.values()]
    return all(side == parsed[0] for side in parsed[1:])


def _query_results(times: dict[str, list[list[float]]], rounds: int) -> dict[str, Any]:
    citus, single = times["citus"], times["single"]
    cases = [
        _compare(case.name, case.group, summary(citus[i]), summary(single[i]))
        for i, case in enumerate(CASES)
    ]
    overall = _compare("overall", "all", summary(_flat(citus)), summary(_flat(single)))
    # The overall p50 ratio of each round alone: how much one round's ratio moves.
    round_ratios = [
        statistics.median(case[r] for case in citus) / statistics.median(case[r] for case in single)
        for r in range(rounds)
    ]
    return {
        "rounds": rounds,
        "cases": cases,
        "overall": overall,
        "median_case_p50_ratio": statistics.median(case["p50_ratio"] for case in cases),
        "round_p50_ratios": _spread(round_ratios),
    }


def _flat(per_case: list[list[float]]) -> list[float]:
    return [value for values in per_case for value in values]


def _compare(
    name: str, group: str, citus: dict[str, float], single: dict[str, float]
) -> dict[str, Any]:
    return {
        "name": name,
        "group": group,
        "citus": citus,
        "single": single,
        "p50_ratio": citus["p50"] / single["p50"],
        "p95_ratio": citus["p95"] / single["p95"],
    }


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    quartile = len(ordered) // 4
    return {
        "min": ordered[0],
        "q1": ordered[quartile],
        "median": statistics.median(ordered),
        "q3": ordered[-1 - quartile],
        "max": ordered[-1],
    }


# ----------------------------------------------------------------------------- ingestion


def write_files(workdir: Path, profiles: int, rows: int) -> Files:
    """A warm-up file of new names, and TIMED_FILES files of `rows` rows: half new names, half
    names stored already (a different stored half in each file)."""
    new, stored = rows - rows // 2, rows // 2
    if profiles < TIMED_FILES * stored:
        raise SystemExit(f"--profiles must be at least {TIMED_FILES * stored:,} for {rows:,} rows")
    warmup = workdir / "warmup.csv"
    ingestion.write_csv(warmup, WARMUP_ROWS, "W", seed=4)
    timed = []
    for index in range(TIMED_FILES):
        path = workdir / f"upload-{index}.csv"
        names = ingestion.stored_names(profiles, index * stored, stored)
        ingestion.write_csv(path, new, f"U{index}", 2 + index, names)
        timed.append(path)
    return Files(warmup, tuple(timed), rows, new, stored)


async def measure_ingestion(served: Sequence[Served], files: Files) -> dict[str, Any]:
    for side in served:  # the parse processes and the write path's plans warm up
        await _ingest(side, files.warmup, expected=(WARMUP_ROWS, 0))
    outcomes: list[tuple[str, int, dict[str, Any]]] = []
    for round_, path in enumerate(files.timed):
        for side in _alternating(served, round_):
            log(f"ingesting {files.rows:,} rows into {side.name}")
            await settle(side.target)
            outcome = await _ingest(side, path, expected=(files.new, files.stored))
            outcomes.append((side.name, round_, outcome))
            log(f"{side.name}: {outcome['seconds']:.2f} s")
    # The server logs a job's stage times just after it marks the job done: read at the end.
    await asyncio.sleep(1)
    runs = [_ingestion_run(name, round_, outcome, files) for name, round_, outcome in outcomes]
    return _ingestion_results(runs, files)


async def settle(target: Target) -> None:
    """Every node's dirty pages written out first, so each run starts with nothing to flush."""
    for dsn in target.node_dsns:
        await ingestion.settle_database(dsn)


async def _ingest(side: Served, path: Path, *, expected: tuple[int, int]) -> dict[str, Any]:
    outcome = await ingestion.ingest_through_server(side.process, side.target.dsn, path)
    counts = (outcome["inserted"], outcome["skipped"])
    if outcome["status"] != "COMPLETED" or counts != expected:
        raise RuntimeError(f"{side.name}: ingestion of {path.name} ended {outcome}")
    return outcome


def _ingestion_run(name: str, round_: int, outcome: dict[str, Any], files: Files) -> dict[str, Any]:
    seconds = float(outcome["seconds"])
    return {
        "side": name,
        "file": round_,
        "seconds": seconds,
        "upload_seconds": float(outcome["upload_seconds"]),
        "rows_per_second": files.rows / seconds,
        "new_rows_per_second": files.new / seconds,
        "server_stages": ingestion.server_stages(_server_log(name), str(outcome["job_id"])),
    }


def _ingestion_results(runs: list[dict[str, Any]], files: Files) -> dict[str, Any]:
    by_side = {name: [run for run in runs if run["side"] == name] for name in TARGETS}
    # Per file: single-node seconds over Citus seconds = Citus throughput over single-node.
    ratios = [
        single["seconds"] / citus["seconds"]
        for citus, single in zip(by_side["citus"], by_side["single"], strict=True)
    ]
    return {
        "rows": files.rows,
        "new_rows": files.new,
        "stored_rows": files.stored,
        "runs": runs,
        "median_seconds": {
            name: statistics.median(run["seconds"] for run in side)
            for name, side in by_side.items()
        },
        "file_throughput_ratios": ratios,
        "throughput_ratio": statistics.median(ratios),
    }


# ----------------------------------------------------------------------------- the run


async def run_citus_bench(profiles: int, rows: int, *, quick: bool) -> Path:
    rounds = 15 if quick else 40
    started_at = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="insighta-citus-bench-"))
    try:
        with started_nodes() as nodes:
            targets = [await prepare(name, nodes[name], profiles) for name in TARGETS]
            files = write_files(workdir, profiles, rows)
            async with serving(targets, workdir) as served:
                queries = await measure_queries(served, rounds)
                ingested = await measure_ingestion(served, files)
            expected = profiles + WARMUP_ROWS + TIMED_FILES * files.new
            checks = {target.name: await exactness(target, expected) for target in targets}
            about = {target.name: await versions(target) for target in targets}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "started_at": started_at.isoformat(),
        "profiles": profiles,
        "quick": quick,
        "command": f"python -m bench.citus --profiles {profiles} --rows {rows}"
        + (" --quick" if quick else ""),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "nodes": about,
        "loads": {target.name: target.load for target in targets},
        "queries": queries,
        "ingestion": ingested,
        "exact_after_ingestion": checks,
    }
    return write_run(result, RESULTS, markdown(result), prefix="citus-")


# ----------------------------------------------------------------------------- report


def markdown(result: dict[str, Any]) -> str:
    return "\n".join([*_heading(result), *_query_table(result), *_ingestion_table(result)]) + "\n"


def _heading(result: dict[str, Any]) -> list[str]:
    nodes, loads = result["nodes"], result["loads"]
    citus = nodes["citus"]
    return [
        "# Citus beside one node",
        "",
        f"Run {result['started_at'][:19]}Z, `{result['command']}`, {result['cpus']} CPUs shared"
        f" by every process. PostgreSQL {citus['postgres']}, Citus {citus['citus']}: a"
        f" coordinator and two workers, {citus['shard_count']} shards of `profiles`, beside one"
        " plain node; all four from the same binaries with the same settings (shared_buffers"
        f" {citus['shared_buffers']} each, fsync {citus['fsync']}). Each side has its own"
        " `insighta serve`, caches off. Every ratio compares figures of this run.",
        "",
        f"Load of {result['profiles']:,} synthetic profiles: Citus"
        f" {_load_text(loads['citus'])}, single node {_load_text(loads['single'])}.",
        "",
    ]


def _load_text(load: dict[str, Any] | None) -> str:
    if load is None:
        return "reused"
    path = "bulk (empty-table COPY)" if load["bulk"] else "batched"
    return f"{load['seconds']:.1f} s ({load['rows_per_second']:,.0f} rows/s, {path})"


def _query_table(result: dict[str, Any]) -> list[str]:
    queries = result["queries"]
    overall, spread = queries["overall"], queries["round_p50_ratios"]
    verdict = "met" if overall["p50_ratio"] <= PAGE_P50_TARGET else "missed"
    return [
        f"## Query mix, uncached, {queries['rounds']} rounds (ms over HTTP)",
        "",
        "| case | Citus p50 | single p50 | p50 ratio | Citus p95 | single p95 | p95 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(_case_row(case) for case in [*queries["cases"], overall]),
        "",
        f"Overall page p50 Citus / single node = **{overall['p50_ratio']:.2f}x** (target <="
        f" {PAGE_P50_TARGET:g}x: {verdict}); median of the per-case p50 ratios"
        f" {queries['median_case_p50_ratio']:.2f}x. Noise: the ratio of one round alone ranged"
        f" {spread['min']:.2f}-{spread['max']:.2f}x (quartiles {spread['q1']:.2f}-"
        f"{spread['q3']:.2f}x). Same answers on both sides:"
        f" {'yes' if queries['answers_equal'] else 'NO'}.",
        "",
    ]


def _case_row(case: dict[str, Any]) -> str:
    c, s = case["citus"], case["single"]
    return (
        f"| {case['name']} | {c['p50']:.2f} | {s['p50']:.2f} | {case['p50_ratio']:.2f} "
        f"| {c['p95']:.2f} | {s['p95']:.2f} | {case['p95_ratio']:.2f} |"
    )


def _ingestion_table(result: dict[str, Any]) -> list[str]:
    ingested, checks = result["ingestion"], result["exact_after_ingestion"]
    ratio = ingested["throughput_ratio"]
    verdict = "met" if ratio >= INGESTION_TARGET else "missed"
    return [
        f"## CSV ingestion through the server ({ingested['rows']:,} rows per file:"
        f" {ingested['new_rows']:,} new, {ingested['stored_rows']:,} stored)",
        "",
        "| file | side | seconds | rows/s | new rows/s |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {run['file'] + 1} | {run['side']} | {run['seconds']:.2f} "
            f"| {run['rows_per_second']:,.0f} | {run['new_rows_per_second']:,.0f} |"
            for run in ingested["runs"]
        ),
        "",
        f"Ingestion throughput Citus / single node = **{ratio:.2f}x** (median of the files'"
        f" ratios {', '.join(f'{r:.2f}' for r in ingested['file_throughput_ratios'])}; target >="
        f" {INGESTION_TARGET:g}x: {verdict}).",
        "",
        "Afterwards: "
        + "; ".join(
            f"{name} {check['profiles']:,} profiles (expected {check['expected']:,}),"
            f" {check['rollup_differences']} rollup rows differing from a recount"
            for name, check in checks.items()
        )
        + ".",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.citus",
        description="The query mix and CSV ingestion on Citus beside one node, in one run.",
    )
    parser.add_argument(
        "--profiles", type=int, help="profiles loaded [default: 1,000,000; 200,000 with --quick]"
    )
    parser.add_argument(
        "--rows", type=int, help="rows per ingested file [default: 500,000; 100,000 with --quick]"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    args = parser.parse_args()
    profiles = args.profiles or (200_000 if args.quick else 1_000_000)
    rows = args.rows or (100_000 if args.quick else 500_000)
    started = time.perf_counter()
    path = asyncio.run(run_citus_bench(profiles, rows, quick=args.quick))
    log(f"results: {path.relative_to(ROOT)} and .md ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
