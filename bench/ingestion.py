"""Benchmark for CSV ingestion: one run, each figure a ratio to a baseline from it.

    uv run python bench/ingestion.py          # 1M existing profiles, 500k-row file, 5M memory
    uv run python bench/ingestion.py --existing 100000 --rows 50000 --memory-rows 200000

It starts an embedded PostgreSQL in a temporary folder (or uses --dsn), loads the existing
profiles once with COPY into a template database, and gives every measurement a fresh copy of
it, so each method starts from the same table. Our path is measured end to end through a real
`insighta serve` process: multipart upload, spool, parse process, batches, job COMPLETED.

- raw COPY: the same rows, already normalised, in one COPY straight into `profiles`;
- naive: csv module, normalise, `executemany` INSERT ... ON CONFLICT DO NOTHING per 10k rows;
- index costs: raw COPY with each secondary index dropped in turn;
- query latency: a fixed query mix over HTTP, idle and while a file is ingested;
- memory: RSS of the server and its parse process, sampled while a large file is ingested.

Writes bench/results/ingestion.json and bench/results/ingestion.md.
"""

import argparse
import asyncio
import contextlib
import csv
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from cli.client import Endpoint, InsightaClient
from cli.ingest import INGEST
from db.embedded import EmbeddedPostgres
from db.migrations import apply_migrations
from services.auth.tokens import Role, issue_token
from services.platform.settings import Secret
from services.profiles.countries import COUNTRY_NAMES
from services.profiles.names import name_key, normalize_name
from services.profiles.seed import DEMO_PROFILES

RESULTS = Path(__file__).parent / "results"
SECRET = Secret("bench-secret-key-0123456789abcdef0123456789")
INSIGHTA = Path(sys.executable).with_name("insighta")
CSV_HEADER = [
    "name", "gender", "gender_probability", "age", "age_group",
    "country_id", "country_name", "country_probability",
]  # fmt: skip
TABLE_COLUMNS = [
    "name", "name_key", "gender", "gender_probability", "age",
    "country_id", "country_name", "country_probability",
]  # fmt: skip
FIRST = ["Ada", "Bola", "Chidi", "Dayo", "Emeka", "Femi", "Grace", "Hassan", "Ife", "Jomo",
         "Kemi", "Lola", "Musa", "Ngozi", "Obi", "Zoé", "Ñandú", "Wanjiru", "Amara",
         "Kofi"]  # fmt: skip
LAST = ["Okafor", "Mensah", "Otieno", "Diallo", "Abebe", "Banda", "Mwangi", "Ndiaye",
        "Traoré", "Kamau", "Osei", "Adeyemi", "Nkosi", "Haddad", "Silva", "Müller"]  # fmt: skip
# Countries as often as in the 2026 demo data (65 countries, most from Africa): with ages
# 0-99 and two genders that makes ~13k rollup groups, which each batch's trigger upserts.
DEMO_COUNTRIES = Counter(
    profile["country_id"] for profile in json.loads(DEMO_PROFILES.read_text())["profiles"]
)
COUNTRIES = sorted(DEMO_COUNTRIES)
COUNTRY_WEIGHTS = [DEMO_COUNTRIES[code] for code in COUNTRIES]
# The indexes whose cost is measured: every index on profiles but the two that make it work.
ESSENTIAL_INDEXES = ("profiles_pkey", "profiles_name_key_key")
SECONDARY_INDEXES_SQL = """
select indexname from pg_indexes
 where tablename = 'profiles' and indexname <> all($1::text[])
 order by indexname
"""
QUERIES = [
    (
        'query { profiles(filter: {countryId: "NG", gender: FEMALE, minAge: 20, maxAge: 45},'
        " first: 20) { totalCount edges { node { name age } } } }"
    ),
    'query { profiles(query: "Kenyan men above 30", first: 20)'
    " { totalCount edges { node { id } } } }",
    "query { profileStats(groupBy: [COUNTRY, GENDER]) { key count } }",
    'query { profiles(filter: {countryId: "GH", gender: MALE}, first: 20)'
    " { edges { node { name } } } }",
]


# ----------------------------------------------------------------------------- data


def _rows(count: int, tag: str, seed: int) -> Iterator[list[str]]:
    rnd = random.Random(seed)
    for i in range(count):
        age = rnd.randint(0, 99)
        group = (
            "child"
            if age <= 12
            else "teenager"
            if age <= 19
            else "adult"
            if age <= 59
            else "senior"
        )
        country = rnd.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        yield [
            f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {tag}{i:08d}",
            rnd.choice(("male", "female")),
            f"{rnd.random():.2f}",
            str(age),
            group if rnd.random() < 0.5 else "",
            country,
            COUNTRY_NAMES[country] if rnd.random() < 0.5 else "",
            f"{rnd.random():.2f}",
        ]


def write_csv(path: Path, count: int, tag: str, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_HEADER)
        writer.writerows(_rows(count, tag, seed))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\")


def write_table_rows(path: Path, count: int, tag: str, seed: int) -> None:
    """The same rows as write_csv(count, tag, seed), normalised, in COPY text format."""
    with path.open("w", encoding="utf-8") as file:
        for name, gender, gp, age, _, country, country_label, cp in _rows(count, tag, seed):
            clean = normalize_name(name)
            label = country_label or COUNTRY_NAMES[country]
            file.write(
                f"{_escape(clean)}\t{_escape(name_key(clean))}\t{gender}\t{gp}\t{age}\t"
                f"{country}\t{_escape(label)}\t{cp}\n"
            )


# ----------------------------------------------------------------------------- databases


@dataclass
class Databases:
    server_dsn: str
    templates: dict[str, str] = field(default_factory=dict)

    def dsn(self, name: str) -> str:
        prefix, _, rest = self.server_dsn.partition("://")
        authority, _, path_and_query = rest.partition("/")
        _, question, query = path_and_query.partition("?")
        return f"{prefix}://{authority}/{name}" + (f"?{query}" if question else "")

    async def admin(self, statement: str) -> None:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    async def make_template(self, name: str, existing_rows: Path | None) -> None:
        await self.admin(f'drop database if exists "{name}" with (force)')
        await self.admin(f'create database "{name}"')
        conn = await asyncpg.connect(self.dsn(name))
        try:
            await apply_migrations(conn)
            if existing_rows is not None:
                await conn.copy_to_table(
                    "profiles", source=existing_rows, columns=TABLE_COLUMNS, format="text"
                )
            await conn.execute("vacuum analyze")
        finally:
            await conn.close()
        self.templates[name] = name

    @asynccontextmanager
    async def copy_of(self, template: str) -> AsyncIterator[str]:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        await self.admin(f'create database "{name}" template "{template}" strategy file_copy')
        try:
            yield self.dsn(name)
        finally:
            await self.admin(f'drop database if exists "{name}" with (force)')


async def count_profiles(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("select count(*) from profiles"))
    finally:
        await conn.close()


# ----------------------------------------------------------------------------- methods


async def raw_copy(dsn: str, table_rows: Path, *, drop_indexes: tuple[str, ...] = ()) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        for index in drop_indexes:
            await conn.execute(f"drop index {index}")
        started = time.perf_counter()
        await conn.copy_to_table(
            "profiles", source=table_rows, columns=TABLE_COLUMNS, format="text"
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


NAIVE_INSERT = """
insert into profiles (name, name_key, gender, gender_probability, age,
                      country_id, country_name, country_probability)
values ($1, $2, $3, $4, $5, $6, $7, $8)
    on conflict (name_key) do nothing
"""


async def naive_insert(dsn: str, csv_path: Path, batch: int = 10_000) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        rows: list[tuple[Any, ...]] = []
        with csv_path.open(encoding="utf-8", newline="") as file:
            reader = csv.DictReader(file)
            for record in reader:
                name = normalize_name(record["name"])
                country = record["country_id"].upper()
                rows.append(
                    (
                        name,
                        name_key(name),
                        record["gender"],
                        float(record["gender_probability"])
                        if record["gender_probability"]
                        else None,
                        int(record["age"]),
                        country,
                        record["country_name"] or COUNTRY_NAMES[country],
                        float(record["country_probability"])
                        if record["country_probability"]
                        else None,
                    )
                )
                if len(rows) == batch:
                    async with conn.transaction():
                        await conn.executemany(NAIVE_INSERT, rows)
                    rows = []
        if rows:
            async with conn.transaction():
                await conn.executemany(NAIVE_INSERT, rows)
        return time.perf_counter() - started
    finally:
        await conn.close()


class Server:
    def __init__(self, dsn: str, data_dir: Path, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "SECRET_KEY": SECRET.reveal(),
            "INSIGHTA_DATA_DIR": str(data_dir),
            # One caller sends the query mix as fast as it can, on purpose.
            "RATE_LIMIT_PER_MINUTE": "0",
        }
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(INSIGHTA), "serve", "--port", str(self.port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def ready(self) -> None:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as http:
            while True:
                try:
                    response = await http.get(self.url.replace("/graphql", "/healthz"))
                    if response.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the server did not start")
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


@asynccontextmanager
async def serving(dsn: str, workdir: Path) -> AsyncIterator[Server]:
    data_dir = workdir / f"server-{uuid.uuid4().hex[:6]}"
    server = Server(dsn, data_dir, workdir / "server.log")
    try:
        await server.ready()
        yield server
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(data_dir, ignore_errors=True)


TOKEN = issue_token(SECRET, role=Role.ADMIN, subject="bench", ttl=timedelta(hours=4))


async def ingest_through_server(
    server: Server, dsn: str, csv_path: Path
) -> dict[str, float | int | str]:
    """Upload (multipart, streamed) and wait for the job: seconds from upload start to end."""
    started = time.perf_counter()
    with InsightaClient(Endpoint(server.url, TOKEN, "bench")) as client:
        job = (await asyncio.to_thread(client.upload, INGEST, csv_path))["ingestProfiles"]
    uploaded = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            row = await conn.fetchrow(
                "select status, total_rows, inserted, skipped from ingestion_jobs where id = $1",
                uuid.UUID(job["id"]),
            )
            if row is not None and row["status"] in ("COMPLETED", "FAILED"):
                break
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "upload_seconds": uploaded - started,
        "status": row["status"],
        "total_rows": row["total_rows"],
        "inserted": row["inserted"],
        "skipped": row["skipped"],
    }


# ----------------------------------------------------------------------------- latency


async def query_latencies(url: str, stop: asyncio.Event, *, at_most: int) -> list[float]:
    """Milliseconds per request, one request at a time, cycling through QUERIES."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=60) as http:
        index = 0
        while not stop.is_set() and len(latencies) < at_most:
            query = QUERIES[index % len(QUERIES)]
            index += 1
            started = time.perf_counter()
            response = await http.post(url, json={"query": query}, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or "errors" in response.json():
                raise RuntimeError(f"query failed: {response.text[:300]}")
            await asyncio.sleep(0.01)  # a steady trickle, as users would send
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
    }


# ----------------------------------------------------------------------------- memory


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(child) for child in task.read_text().split())
    return found


def parse_processes(server_pid: int) -> list[int]:
    return [
        pid
        for pid in children(server_pid)
        if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        and "resource_tracker"
        not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    ]


class Sampler:
    """Peak RSS of the server and of its parse processes, sampled every 50 ms in a thread."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.server_peak = 0
        self.parser_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.server_peak = max(self.server_peak, rss_kib(self.server_pid))
            parsers = parse_processes(self.server_pid)
            self.parser_peak = max([self.parser_peak, *(rss_kib(pid) for pid in parsers)])
            self._stop.wait(0.05)


# ----------------------------------------------------------------------------- the run


async def run(args: argparse.Namespace, workdir: Path, server_dsn: str) -> dict[str, Any]:
    dbs = Databases(server_dsn)
    files = {
        "existing": workdir / "existing.tsv",
        "csv": workdir / "upload.csv",
        "table": workdir / "upload.tsv",
        "latency_csv": workdir / "latency.csv",
        "memory_csv": workdir / "memory.csv",
        "warmup_csv": workdir / "warmup.csv",
    }
    log("generating files")
    write_table_rows(files["existing"], args.existing, "E", seed=1)
    write_csv(files["csv"], args.rows, "U", seed=2)
    write_table_rows(files["table"], args.rows, "U", seed=2)
    write_csv(files["latency_csv"], args.rows, "L", seed=3)
    write_csv(files["warmup_csv"], 1000, "W", seed=4)
    log(f"loading {args.existing:,} existing profiles into a template")
    await dbs.make_template("bench_tpl_empty", None)
    await dbs.make_template("bench_tpl_existing", files["existing"])
    results: dict[str, Any] = {}

    async def ours(template: str) -> dict[str, Any]:
        async with dbs.copy_of(template) as dsn, serving(dsn, workdir) as server:
            await ingest_through_server(server, dsn, files["warmup_csv"])  # processes warm
            outcome = await ingest_through_server(server, dsn, files["csv"])
        assert outcome["status"] == "COMPLETED", outcome
        assert outcome["inserted"] == args.rows, outcome
        return outcome

    async def copy(template: str, drop: tuple[str, ...] = ()) -> float:
        async with dbs.copy_of(template) as dsn:
            seconds = await raw_copy(dsn, files["table"], drop_indexes=drop)
            assert await count_profiles(dsn) == args.rows + (
                args.existing if "existing" in template else 0
            )
        return seconds

    log("empty table: raw COPY, ours")
    empty_copy = await copy("bench_tpl_empty")
    empty_ours = await ours("bench_tpl_empty")
    results["empty_table"] = {
        "raw_copy_seconds": round(empty_copy, 2),
        "ours_seconds": round(float(empty_ours["seconds"]), 2),
        "ours_upload_seconds": round(float(empty_ours["upload_seconds"]), 2),
        "ours_rows_per_second": round(args.rows / float(empty_ours["seconds"])),
        "ours_share_of_copy_throughput": round(empty_copy / float(empty_ours["seconds"]), 3),
    }
    log(str(results["empty_table"]))

    log(f"{args.existing:,} existing profiles: raw COPY, naive executemany, ours")
    existing_copy = await copy("bench_tpl_existing")
    async with dbs.copy_of("bench_tpl_existing") as dsn:
        naive = await naive_insert(dsn, files["csv"])
    existing_ours = await ours("bench_tpl_existing")
    results["existing_table"] = {
        "existing_profiles": args.existing,
        "raw_copy_seconds": round(existing_copy, 2),
        "naive_executemany_seconds": round(naive, 2),
        "ours_seconds": round(float(existing_ours["seconds"]), 2),
        "ours_upload_seconds": round(float(existing_ours["upload_seconds"]), 2),
        "ours_rows_per_second": round(args.rows / float(existing_ours["seconds"])),
        "speedup_over_naive": round(naive / float(existing_ours["seconds"]), 2),
        "ours_share_of_copy_throughput": round(existing_copy / float(existing_ours["seconds"]), 3),
    }
    log(str(results["existing_table"]))

    log("index costs (raw COPY into the existing table, one secondary index dropped at a time)")
    async with dbs.copy_of("bench_tpl_existing") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(SECONDARY_INDEXES_SQL, list(ESSENTIAL_INDEXES))
        finally:
            await conn.close()
    secondary = tuple(row["indexname"] for row in rows)
    costs: dict[str, Any] = {"all_indexes_seconds": round(existing_copy, 2), "indexes": secondary}
    for index in secondary:
        without = await copy("bench_tpl_existing", (index,))
        costs[f"without_{index}_seconds"] = round(without, 2)
        costs[f"{index}_share"] = round((existing_copy - without) / existing_copy, 3)
    costs["primary_and_name_key_only_seconds"] = round(
        await copy("bench_tpl_existing", secondary), 2
    )
    results["index_costs"] = costs
    log(str(costs))

    log("query latency: idle, then while a file is ingested")
    async with dbs.copy_of("bench_tpl_existing") as dsn, serving(dsn, workdir) as server:
        await ingest_through_server(server, dsn, files["warmup_csv"])
        never = asyncio.Event()
        await query_latencies(server.url, never, at_most=40)  # warm caches and plans
        idle = await query_latencies(server.url, never, at_most=args.latency_requests)
        stop = asyncio.Event()
        during_task = asyncio.create_task(query_latencies(server.url, stop, at_most=10**9))
        loaded = await ingest_through_server(server, dsn, files["latency_csv"])
        stop.set()
        during = await during_task
    idle_summary, during_summary = summary(idle), summary(during)
    results["query_latency"] = {
        "idle": idle_summary,
        "during_ingestion": during_summary,
        "p50_ratio": round(during_summary["p50_ms"] / idle_summary["p50_ms"], 2),
        "p95_ratio": round(during_summary["p95_ms"] / idle_summary["p95_ms"], 2),
        "ingestion_seconds_under_query_load": round(float(loaded["seconds"]), 2),
    }
    log(str(results["query_latency"]))

    log(f"memory: a {args.memory_rows:,}-row file")
    write_csv(files["memory_csv"], args.memory_rows, "M", seed=5)
    size = files["memory_csv"].stat().st_size
    async with dbs.copy_of("bench_tpl_empty") as dsn, serving(dsn, workdir) as server:
        await ingest_through_server(server, dsn, files["warmup_csv"])
        pid = server.process.pid
        parsers = parse_processes(pid)
        server_base = rss_kib(pid)
        parser_base = max((rss_kib(p) for p in parsers), default=0)
        with Sampler(pid) as sampler:
            big = await ingest_through_server(server, dsn, files["memory_csv"])
    assert big["status"] == "COMPLETED", big
    assert big["inserted"] == args.memory_rows, big
    results["memory"] = {
        "rows": args.memory_rows,
        "file_mib": round(size / 2**20, 1),
        "seconds": round(float(big["seconds"]), 1),
        "server_rss_before_mib": round(server_base / 1024, 1),
        "server_rss_peak_mib": round(sampler.server_peak / 1024, 1),
        "server_growth_mib": round((sampler.server_peak - server_base) / 1024, 1),
        "parse_process_rss_before_mib": round(parser_base / 1024, 1),
        "parse_process_rss_peak_mib": round(sampler.parser_peak / 1024, 1),
        "parse_process_growth_mib": round((sampler.parser_peak - parser_base) / 1024, 1),
    }
    log(str(results["memory"]))
    return results


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def markdown(report: dict[str, Any]) -> str:
    results, rows = report["results"], report["parameters"]["rows"]
    e, x, i = results["empty_table"], results["existing_table"], results["index_costs"]
    q, m, machine = results["query_latency"], results["memory"], report["machine"]
    existing = f"{x['existing_profiles']:,} existing"

    def rate(seconds: float) -> str:
        return f"{round(rows / seconds):,}"

    def index_cost(name: str) -> str:
        return f"{i[f'without_{name}_seconds']} s without `{name}` ({i[f'{name}_share']:.0%})"

    lines = [
        "# CSV ingestion benchmark",
        "",
        f"`{report['command']}`",
        "",
        f"{machine['cpus']} CPUs, PostgreSQL {machine['postgres']} ({machine['database']}), "
        f"{report['date']}. One run: every ratio compares figures measured in it.",
        "",
        f"| {rows:,}-row file | seconds | rows/s | ratio |",
        "|---|---|---|---|",
        f"| empty table: raw COPY of the same rows | {e['raw_copy_seconds']} | "
        f"{rate(e['raw_copy_seconds'])} | 1 |",
        f"| empty table: ours, upload to COMPLETED | {e['ours_seconds']} | "
        f"{rate(e['ours_seconds'])} | **{e['ours_share_of_copy_throughput']}** of COPY "
        "(target >= 0.7) |",
        f"| {existing}: raw COPY | {x['raw_copy_seconds']} | {rate(x['raw_copy_seconds'])} | 1 |",
        f"| {existing}: naive executemany, 10k-row batches | "
        f"{x['naive_executemany_seconds']} | {rate(x['naive_executemany_seconds'])} | |",
        f"| {existing}: ours, upload to COMPLETED | {x['ours_seconds']} | "
        f"{rate(x['ours_seconds'])} | **{x['speedup_over_naive']}x** naive (target >= 4), "
        f"{x['ours_share_of_copy_throughput']} of COPY |",
        "",
        f"The upload (multipart over localhost) is part of ours: {e['ours_upload_seconds']} s "
        f"and {x['ours_upload_seconds']} s.",
        "",
        f"Index costs, raw COPY into the {existing} table: {i['all_indexes_seconds']} s with all; "
        + "; ".join(index_cost(name) for name in i["indexes"])
        + f"; {i['primary_and_name_key_only_seconds']} s with the primary and name keys only.",
        "",
        "| query mix over HTTP | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
        f"| idle | {q['idle']['n']} | {q['idle']['p50_ms']} | {q['idle']['p95_ms']} |",
        f"| while {rows:,} rows are ingested | {q['during_ingestion']['n']} | "
        f"{q['during_ingestion']['p50_ms']} | {q['during_ingestion']['p95_ms']} |",
        f"| ratio | | {q['p50_ratio']} | **{q['p95_ratio']}** (target <= 2) |",
        "",
        f"Under that query load the file took {q['ingestion_seconds_under_query_load']} s "
        "(ingestion yields while queries are served).",
        "",
        f"Memory, {m['rows']:,}-row file ({m['file_mib']} MiB, {m['seconds']} s): server RSS "
        f"{m['server_rss_before_mib']} -> {m['server_rss_peak_mib']} MiB "
        f"(growth **{m['server_growth_mib']} MiB**); parse process "
        f"{m['parse_process_rss_before_mib']} -> {m['parse_process_rss_peak_mib']} MiB "
        f"(growth **{m['parse_process_growth_mib']} MiB**); target <= 64 MiB growth.",
    ]
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=5_000_000)
    parser.add_argument("--latency-requests", type=int, default=400)
    parser.add_argument("--dsn", help="a PostgreSQL server to use instead of an embedded one")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="insighta-bench-"))
    embedded = None
    try:
        if args.dsn:
            server_dsn, where = args.dsn, "given server"
        else:
            embedded = EmbeddedPostgres(workdir / "pg")
            server_dsn, where = await asyncio.to_thread(embedded.start), "embedded"
        conn = await asyncpg.connect(server_dsn)
        version = await conn.fetchval("show server_version")
        await conn.close()
        results = await run(args, workdir, server_dsn)
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
        shutil.rmtree(workdir, ignore_errors=True)
    report = {
        "command": "uv run python bench/ingestion.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgres": version,
            "database": where,
        },
        "parameters": {
            "rows": args.rows,
            "existing": args.existing,
            "memory_rows": args.memory_rows,
            "latency_requests": args.latency_requests,
        },
        "results": results,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "ingestion.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output / "ingestion.md").write_text(markdown(report))
    log(f"wrote {args.output / 'ingestion.json'} and ingestion.md")


if __name__ == "__main__":
    asyncio.run(main())
