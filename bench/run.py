"""`python -m bench`: dataset, raw-SQL baseline and the API over HTTP, measured in one run.

Order of work: build or reuse the dataset; measure each index's ingestion cost; start the
server; then, for every repetition, make every cached answer stale (bump the data version) and
time each case twice back to back: once through the API (a cache miss) and once as raw SQL
(same page + COUNT(*)). Cached latency and throughput at 1, 8 and 32 clients come last; with
`--workers N` the throughput is measured against a one-worker server too, interleaved, so the
scaling ratio compares two figures taken under the same load on the machine.
"""

import asyncio
import multiprocessing
import os
import platform
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import asyncpg

from bench.baseline import baseline_query, deep_cursor, run_baseline
from bench.dataset import ensure_dataset, load_fields, record_build
from bench.http_load import GraphQLClient, Throughput, throughput_in_processes, warm_process
from bench.index_costs import measure_index_costs
from bench.report import summary, write_results
from bench.scale_model import write_scale_model
from bench.server import running_server
from bench.storage import measure_storage
from bench.workload import CASES, FLATNESS_PAIRS, PROFILES_QUERY, Case
from db import rollups as rollups_db
from db.embedded import EmbeddedPostgres
from db.pool import create_pool
from db.profiles import select_profiles_page
from db.profiles_bulk import analyze_profiles
from services.auth.tokens import Role, issue_token
from services.pagination import Cursor, encode_cursor
from services.platform.settings import Secret, Settings
from services.profiles.enums import ProfileSortField, SortOrder
from services.profiles.search import ProfileSort
from services.profiles.synthetic import DEFAULT_SEED

ROOT: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = ROOT / "bench" / "results"
CLIENT_COUNTS: Final = (1, 8, 32)
# One httpx process saturates near one core; two share the load on this 2-core machine
# (more would only compete with the server for the same cores).
LOAD_PROCESSES: Final = 2
# Windows per worker count and client count for the scaling ratio: the median of paired
# windows, since other work on the machine moves single windows by 20-30%.
SCALING_ROUNDS: Final = 3

Say = Callable[[str], None]


async def run_bench(
    settings: Settings,
    *,
    profiles: int,
    quick: bool,
    say: Say,
    progress: Callable[[int], None],
    workers: int = 1,
) -> Path:
    repeats, cached_repeats, seconds = (15, 30, 5.0) if quick else (40, 100, 15.0)
    embedded = None
    if settings.database_url is not None:
        server_dsn = settings.database_url.reveal()
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        server_dsn = await asyncio.to_thread(embedded.start)
    try:
        say(f"dataset: {profiles:,} synthetic profiles (built once, then reused)")
        dataset = await ensure_dataset(
            server_dsn, profiles, seed=DEFAULT_SEED, on_progress=progress
        )
        result: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(),
            "profiles": profiles,
            "quick": quick,
            "command": f"python -m bench --profiles {profiles}"
            + (" --quick" if quick else "")
            + (f" --workers {workers}" if workers > 1 else ""),
            "cpus": os.cpu_count(),
            "machine": platform.platform(),
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "workers": workers,
            "load": None if dataset.load is None else load_fields(dataset.load),
            # How the dataset was filled, also when it was built by an earlier run.
            "dataset_build": dataset.built,
        }
        pool = await create_pool(dataset.dsn, max_size=2)
        try:
            async with pool.acquire() as conn:
                result["server_version"] = conn.get_server_version().major
                result["shared_buffers"] = await conn.fetchval("show shared_buffers")
                result["storage"] = await measure_storage(conn, profiles)
            # Rolled-back inserts leave reusable space that never leaves the files: storage
            # read after an earlier run's index costs overstates a freshly loaded dataset.
            built = dict(dataset.built or {})
            result["storage_fresh"] = not built.get("index_cost_runs")
            say("ingestion cost per index")
            costs = await measure_index_costs(pool, rows=20_000 if quick else 100_000)
            result["index_costs"] = [
                {**vars(cost), "rows_per_second": cost.rows_per_second} for cost in costs
            ]
            built["index_cost_runs"] = built.get("index_cost_runs", 0) + 1
            # The rolled-back inserts left dead rows and cleared visibility bits, which would
            # turn index-only counts into heap scans for the rest of the run.
            async with pool.acquire() as conn:
                await record_build(conn, built)
                await analyze_profiles(conn, vacuum=True)
        finally:
            await pool.close()
        secret = secrets.token_urlsafe(32)
        token = issue_token(
            Secret(secret), role=Role.ANALYST, subject="bench", ttl=timedelta(hours=6)
        )
        async with (
            _load_processes() as executor,
            running_server(
                dataset.dsn, secret, log_path=RESULTS / "server.log", workers=workers
            ) as url,
        ):
            client = GraphQLClient(url, token)
            raw_conn = await asyncpg.connect(dataset.dsn)
            try:
                bodies = await _measure(result, client, raw_conn, repeats, cached_repeats, say)
            finally:
                await raw_conn.close()
                await client.close()
            await _measure_throughput(
                result, executor, url, dataset.dsn, secret, token, bodies, workers, seconds, say
            )
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
    path = write_results(result, RESULTS)
    say(f"results: {path.relative_to(ROOT)} and bench/results/latest.md")
    model = write_scale_model(RESULTS)
    if model is not None:
        say(f"scale model: {model.relative_to(ROOT)}")
    return path


@asynccontextmanager
async def _load_processes() -> AsyncIterator[Executor]:
    # spawn, not fork: the parent runs an event loop and holds connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(LOAD_PROCESSES, mp_context=context) as executor:
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(executor, warm_process) for _ in range(LOAD_PROCESSES))
        )
        yield executor


async def _measure_throughput(
    result: dict[str, Any],
    executor: Executor,
    url: str,
    dsn: str,
    secret: str,
    token: str,
    bodies: list[bytes],
    workers: int,
    seconds: float,
    say: Say,
) -> None:
    """Cached mix at 1, 8 and 32 clients. With workers > 1 a one-worker server runs beside the
    server under test and each client count is measured on both, back to back."""

    async def measure(target: str, clients: int) -> Throughput:
        processes = 1 if clients == 1 else LOAD_PROCESSES
        return await throughput_in_processes(
            executor,
            processes,
            url=target,
            token=token,
            bodies=bodies,
            clients=clients,
            seconds=seconds,
        )

    by_workers: dict[int, list[Throughput]] = {workers: []}
    if workers == 1:
        say(f"throughput, cached mix, {seconds:.0f} s at 1, 8 and 32 clients")
        for clients in CLIENT_COUNTS:
            by_workers[1].append(await measure(url, clients))
        result["throughput"] = [_throughput_fields(t) for t in by_workers[1]]
        result["throughput_by_workers"] = {"1": result["throughput"]}
        return
    say(
        f"throughput, cached mix, {seconds:.0f} s at 1, 8 and 32 clients, 1 worker and"
        f" {workers} workers alternated {SCALING_ROUNDS} times"
    )
    by_workers[1] = []
    scaling = []
    async with running_server(
        dsn, secret, log_path=RESULTS / "server-1-worker.log", workers=1
    ) as single:
        for clients in CLIENT_COUNTS:
            rounds: dict[int, list[Throughput]] = {1: [], workers: []}
            for round_ in range(SCALING_ROUNDS):
                # Alternate which goes first: drift in the machine's other load then falls
                # on both sides of the ratio.
                order = [(1, single), (workers, url)]
                for count, target in order if round_ % 2 == 0 else reversed(order):
                    rounds[count].append(await measure(target, clients))
            ratios = [
                many.per_second / one.per_second
                for one, many in zip(rounds[1], rounds[workers], strict=True)
            ]
            for count in (1, workers):
                by_workers[count].append(_median_run(rounds[count]))
            scaling.append(
                {
                    "clients": clients,
                    "workers": workers,
                    "ratio": statistics.median(ratios),
                    "round_ratios": ratios,
                }
            )
    result["throughput"] = [_throughput_fields(t) for t in by_workers[workers]]
    result["throughput_by_workers"] = {
        str(count): [_throughput_fields(t) for t in runs] for count, runs in by_workers.items()
    }
    result["scaling"] = scaling


def _median_run(runs: list[Throughput]) -> Throughput:
    return sorted(runs, key=lambda run: run.per_second)[len(runs) // 2]


async def make_cached_answers_stale(conn: asyncpg.Connection) -> None:
    """Bump the data version as a write does: every cached answer is then stale.

    A plain UPDATE of data_version would not do: servers learn the version from its NOTIFY,
    which only data_version_bump() sends (db/migrations/0048), and the response cache would go
    on answering from the old one.
    """
    await rollups_db.bump_data_version(conn)


def _throughput_fields(throughput: Throughput) -> dict[str, Any]:
    return {**vars(throughput), "per_second": throughput.per_second}


async def _measure(
    result: dict[str, Any],
    client: GraphQLClient,
    conn: asyncpg.Connection,
    repeats: int,
    cached_repeats: int,
    say: Say,
) -> list[bytes]:
    cursors = {case.name: await deep_cursor(conn, case) for case in CASES}
    bodies = {case.name: case_body(case, cursors[case.name]) for case in CASES}
    baselines = {case.name: baseline_query(case, cursors[case.name]) for case in CASES}
    for case in CASES:  # warm connections, plans and pages once
        await client.post(bodies[case.name])
        await run_baseline(conn, baselines[case.name])
    uncached: dict[str, list[float]] = {case.name: [] for case in CASES}
    raw: dict[str, list[float]] = {case.name: [] for case in CASES}
    say(f"uncached and raw SQL, {repeats} rounds of {len(CASES)} cases")
    loop = asyncio.get_running_loop()
    for _ in range(repeats):
        # Every cached answer is now stale: the next request for each case is a miss.
        await make_cached_answers_stale(conn)
        for case in CASES:
            uncached[case.name].append(await client.timed(bodies[case.name]))
            started = loop.time()
            await run_baseline(conn, baselines[case.name])
            raw[case.name].append((loop.time() - started) * 1000)
    say(f"cached, {cached_repeats} rounds")
    cached: dict[str, list[float]] = {case.name: [] for case in CASES}
    for case in CASES:
        await client.post(bodies[case.name])
    for _ in range(cached_repeats):
        for case in CASES:
            cached[case.name].append(await client.timed(bodies[case.name]))
    result["cases"] = [
        {
            "name": case.name,
            "group": case.group,
            "raw": summary(raw[case.name]),
            "uncached": summary(uncached[case.name]),
            "cached": summary(cached[case.name]),
        }
        for case in CASES
    ]
    totals: dict[str, Any] = {
        "raw": summary([v for values in raw.values() for v in values]),
        "uncached": summary([v for values in uncached.values() for v in values]),
        "cached": summary([v for values in cached.values() for v in values]),
    }
    totals["uncached_vs_raw_p50"] = totals["uncached"]["p50"] / totals["raw"]["p50"]
    result["totals"] = totals
    by_name = {case["name"]: case for case in result["cases"]}
    result["flatness"] = [
        {
            "sort": first.split(", ", 1)[-1],
            "page_1_p50": by_name[first]["uncached"]["p50"],
            "page_1000_p50": by_name[deep]["uncached"]["p50"],
            "ratio": by_name[deep]["uncached"]["p50"] / by_name[first]["uncached"]["p50"],
        }
        for first, deep in FLATNESS_PAIRS
    ]
    say("keyset page statement alone, page 1 vs page 1000, every sort")
    result["sql_flatness"] = await _sql_flatness(conn)
    return list(bodies.values())


async def _sql_flatness(conn: asyncpg.Connection, repeats: int = 200) -> list[dict[str, Any]]:
    """The page statement itself (db.profiles, total included) at page 1 and page 1000 for
    every sort: HTTP adds several ms of noise on a shared machine, this does not."""
    flatness = []
    for field in ProfileSortField:
        for order in SortOrder:
            case = Case("flatness", "deep", sort=ProfileSort(field, order), page=1000)
            values = case.filter_values()
            cursor = await deep_cursor(conn, case)
            timings: dict[int, list[float]] = {1: [], 1000: []}
            for _ in range(repeats):
                for page, after in ((1, None), (1000, cursor)):
                    started = time.perf_counter()
                    await select_profiles_page(
                        conn,
                        values,
                        sort_key=field.value,
                        descending=order is SortOrder.DESC,
                        after=after,
                        limit=case.first + 1,
                    )
                    timings[page].append((time.perf_counter() - started) * 1000)
            first, deep = summary(timings[1])["p50"], summary(timings[1000])["p50"]
            flatness.append(
                {
                    "sort": case.sort.name,
                    "page_1_p50": first,
                    "page_1000_p50": deep,
                    "ratio": deep / first,
                }
            )
    return flatness


def case_body(case: Case, cursor: tuple[Any, Any] | None) -> bytes:
    """The case's GraphQL request; `cursor` is deep_cursor's, for a page past the first."""
    after = None if cursor is None else encode_cursor(Cursor(case.sort.name, cursor[0], cursor[1]))
    return GraphQLClient.body(PROFILES_QUERY, case.variables(after))
