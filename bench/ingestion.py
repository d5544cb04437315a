"""Benchmark for CSV ingestion at the size users have: one run, each figure against a baseline
measured in the same run.

    uv run python bench/ingestion.py --dsn postgresql://postgres@127.0.0.1:5432/postgres
    uv run python bench/ingestion.py --quick      # 1M existing profiles, 100k-row file

The existing profiles (10M by default) are loaded once, with the seeder's bulk path
(services/profiles/bulk_load.py, as `insighta seed --synthetic` does), into a template database
that is kept between runs (`--drop-template` removes it at the end); every measurement gets a
file copy of it. The file has `--rows` rows (500k): half of them names already stored (the
seeder's own, typed in upper case), half new, interleaved.

- ours: end to end through a real `insighta serve` (multipart upload, spool, parse process,
  batches, job COMPLETED) while a client follows its job over HTTP, 5 polls a second;
- the COPY floor: the file's new rows, normalised, in one COPY into `profiles` (the same
  indexes, and the same rollup upkeep for those rows), rolled back;
- the seed's method on the seed's schema: csv reader, 10k-row batches, one SELECT for the
  names already stored, `executemany` INSERT ... ON CONFLICT DO NOTHING, a commit per batch,
  on a copy, keeping no rollups (the seed's schema had none);
- where the time goes: the COPY floor again without the rollup upkeep, without each
  secondary index, and with neither; our write path in process, each stage timed (parse,
  staging COPY, INSERT ... SELECT under EXPLAIN ANALYZE for its trigger time and WAL, the
  duplicate lookup), rolled back; and the server's own stage times for ours (its log);
- rounds: the floor, the seed's method and ours run `--rounds` times (3; one with --quick),
  each on a fresh copy, in an order that turns each round; the ratios compare the medians
  (one run of a method on this shared machine can take 1.5x another);
- query latency: a query mix idle, then while a second file is ingested;
- memory: RSS of the server and its parse process while a 5M-row file is ingested.

Writes bench/results/ingestion.json and bench/results/ingestion.md. Timed runs on a shared
machine: wrap the command in `flock /tmp/insighta-bench.lock`.
"""

import argparse
import asyncio
import contextlib
import csv
import itertools
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
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx

from cli.client import Endpoint, InsightaClient
from cli.ingest import INGEST
from db import ingestion as ingestion_db
from db import rollups as rollups_db
from db.embedded import EmbeddedPostgres
from db.migrations import apply_migrations
from db.pool import create_pool
from services.auth.tokens import Role, issue_token
from services.ingestion.batches import BatchRequest, ParsedBatch, parse_batch, read_layout
from services.platform.settings import Secret
from services.profiles.bulk_load import load_synthetic_profiles
from services.profiles.countries import COUNTRY_NAMES
from services.profiles.names import name_key, normalize_name
from services.profiles.seed import DEMO_PROFILES
from services.profiles.synthetic import SyntheticProfiles

RESULTS = Path(__file__).parent / "results"
SECRET = Secret("bench-secret-key-0123456789abcdef0123456789")
INSIGHTA = Path(sys.executable).with_name("insighta")
SYNTHETIC_SEED = 1
# Bump when the template's contents change meaning (kept as the database's comment).
TEMPLATE_VERSION = "ingestion-bench 2"
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
FOLLOW_JOB = "query($id: ID!) { ingestionJob(id: $id) { status totalRows inserted skipped } }"
FOLLOW_POLLS_PER_SECOND = 5
BATCH_ROWS = 50_000  # INGESTION_BATCH_ROWS' default, for the in-process write path


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


def stored_names(existing: int, skip: int, count: int) -> list[str]:
    """`count` names the template holds (the seeder's rows `skip` .. `skip + count`)."""
    rows = SyntheticProfiles(SYNTHETIC_SEED).rows(existing)
    return [row[1] for row in itertools.islice(rows, skip, skip + count)]


def write_csv(path: Path, new: int, tag: str, seed: int, stored: Sequence[str] = ()) -> None:
    """`new` new rows, and after each of the first len(stored) of them a row whose name is
    stored already (in upper case: names compare case-insensitively)."""
    stored_rows = _rows(len(stored), f"{tag}X", seed + 1000)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_HEADER)
        for index, row in enumerate(_rows(new, tag, seed)):
            writer.writerow(row)
            if index < len(stored):
                again = next(stored_rows)
                again[0] = stored[index].upper()
                writer.writerow(again)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\")


def write_table_rows(path: Path, count: int, tag: str, seed: int) -> None:
    """The new rows of write_csv(count, tag, seed), normalised, in COPY text format."""
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

    def dsn(self, name: str) -> str:
        prefix, _, rest = self.server_dsn.partition("://")
        authority, _, path_and_query = rest.partition("/")
        _, question, query = path_and_query.partition("?")
        return f"{prefix}://{authority}/{name}" + (f"?{query}" if question else "")

    async def admin(self, statement: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.server_dsn)
        try:
            return await conn.fetchval(statement, *args)
        finally:
            await conn.close()

    async def ensure_template(self, name: str, existing: int) -> bool:
        """A database of `existing` synthetic profiles, loaded as the seeder loads them, kept
        between runs while its comment says it was built for this. True if built now."""
        comment = f"{TEMPLATE_VERSION}: {existing} synthetic profiles, seed {SYNTHETIC_SEED}"
        found = await self.admin(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = $1",
            name,
        )
        if found == comment:
            return False
        await self.admin(f'drop database if exists "{name}" with (force)')
        await self.admin(f'create database "{name}"')
        pool = await create_pool(self.dsn(name), min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await apply_migrations(conn)
            if existing:
                await load_synthetic_profiles(pool, existing, seed=SYNTHETIC_SEED)
            async with pool.acquire() as conn:
                await conn.execute("set statement_timeout = 0")
                await conn.execute("vacuum analyze")
                await conn.execute(f"comment on database \"{name}\" is '{comment}'")
        finally:
            await pool.close()
        return True

    @asynccontextmanager
    async def copy_of(self, template: str) -> AsyncIterator[str]:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        await self.admin(f'create database "{name}" template "{template}" strategy file_copy')
        try:
            yield self.dsn(name)
        finally:
            await self.admin(f'drop database if exists "{name}" with (force)')


async def settle_database(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await settle(conn)
    finally:
        await conn.close()


async def count_profiles(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("select count(*) from profiles"))
    finally:
        await conn.close()


async def settle(conn: asyncpg.Connection) -> None:
    """Before each timed measurement: the copied database's files written back to disk and a
    checkpoint, so every method starts with nothing to flush and pays the same full-page
    images (the first change to each page after a checkpoint writes the whole page to WAL;
    a COPY timed right after another that touched the same pages wrote a third of the WAL)."""
    await asyncio.to_thread(os.sync)
    await conn.execute("checkpoint")


async def wal_lsn(conn: asyncpg.Connection) -> str:
    return str(await conn.fetchval("select pg_current_wal_insert_lsn()::text"))


async def wal_since(conn: asyncpg.Connection, lsn: str) -> int:
    return int(
        await conn.fetchval(
            "select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::text::pg_lsn)", lsn
        )
    )


# ----------------------------------------------------------------------------- methods


def rollup_facts(table_rows: Path) -> list[list[Any]]:
    """The rollup columns of a COPY text file in TABLE_COLUMNS order, as profile_rollups_apply
    takes them (country ids, genders, ages, gender and country probabilities)."""
    columns: list[list[Any]] = [[], [], [], [], []]
    with table_rows.open(encoding="utf-8") as file:
        for line in file:
            values = dict(zip(TABLE_COLUMNS, line.rstrip("\n").split("\t"), strict=True))
            columns[0].append(values["country_id"])
            columns[1].append(values["gender"])
            columns[2].append(int(values["age"]))
            for column, key in ((3, "gender_probability"), (4, "country_probability")):
                value = values[key]
                columns[column].append(None if value == "\\N" else float(value))
    return columns


async def rolled_back_copy(
    conn: asyncpg.Connection,
    table_rows: Path,
    *,
    drop_indexes: tuple[str, ...] = (),
    rollups: bool = True,
) -> dict[str, float | int]:
    """COPY the new rows into profiles, then (with `rollups`) add them to the rollups as the
    write path does, in a transaction that is rolled back: seconds, WAL."""
    facts = rollup_facts(table_rows) if rollups else None
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute("set local statement_timeout = 0")
        for index in drop_indexes:
            await conn.execute(f"drop index {index}")
        await settle(conn)
        lsn = await wal_lsn(conn)
        started = time.perf_counter()
        await conn.copy_to_table(
            "profiles", source=table_rows, columns=TABLE_COLUMNS, format="text"
        )
        if facts is not None:
            await conn.fetchval(rollups_db.APPLY_ROLLUPS, 1, *facts)
        seconds = time.perf_counter() - started
        return {"seconds": round(seconds, 3), "wal_bytes": await wal_since(conn, lsn)}
    finally:
        await transaction.rollback()


def parse_file(csv_path: Path, batch_rows: int) -> tuple[list[ParsedBatch], float]:
    """Our parse, in this process, batch after batch: the batches and the seconds it took."""
    started = time.perf_counter()
    layout = read_layout(csv_path)
    batches, start = [], layout.data_start
    while True:
        batch = parse_batch(BatchRequest(csv_path, layout, start, batch_rows, error_quota=1000))
        batches.append(batch)
        if batch.finished:
            return batches, time.perf_counter() - started
        start = batch.end


async def write_path_stages(
    conn: asyncpg.Connection, batches: list[ParsedBatch]
) -> dict[str, float | int]:
    """Our write path's statements, each batch in a transaction that is rolled back."""
    totals: dict[str, float] = dict.fromkeys(
        ("staging_copy", "insert_select", "duplicates", "rollups"), 0.0
    ) | dict.fromkeys(("insert_wal_bytes", "insert_wal_full_page_images"), 0)
    for batch in batches:
        transaction = conn.transaction()
        await transaction.start()
        try:
            started = time.perf_counter()
            await ingestion_db.stage_batch(conn, batch.copy_data)
            copied = time.perf_counter()
            plan = json.loads(
                await conn.fetchval(
                    "explain (analyze, wal, format json) " + ingestion_db.INSERT_STAGED_PROFILES
                )
            )[0]
            inserted = time.perf_counter()
            await ingestion_db.select_staged_duplicates(conn)
            totals["staging_copy"] += copied - started
            totals["insert_select"] += inserted - copied
            totals["duplicates"] += time.perf_counter() - inserted
            # The statement is the insert (a CTE) under the rollup function's call.
            insert_node = plan["Plan"]["Plans"][0]
            totals["rollups"] += (
                plan["Plan"]["Actual Total Time"] - insert_node["Actual Total Time"]
            ) / 1000
            totals["insert_wal_bytes"] += plan["Plan"].get("WAL Bytes", 0)
            totals["insert_wal_full_page_images"] += plan["Plan"].get("WAL FPI", 0)
        finally:
            await transaction.rollback()
    return {
        key: round(value, 3) if isinstance(value, float) else value for key, value in totals.items()
    }


SELECT_STORED = "select name_key from profiles where name_key = any($1::text[])"
SEED_INSERT = """
insert into profiles (name, name_key, gender, gender_probability, age,
                      country_id, country_name, country_probability)
values ($1, $2, $3, $4, $5, $6, $7, $8)
    on conflict (name_key) do nothing
"""


async def seed_method(dsn: str, csv_path: Path, batch: int = 10_000) -> float:
    """The seeder's method: csv reader, 10k-row batches, one SELECT for the names already
    stored, executemany INSERT ... ON CONFLICT DO NOTHING, one commit per batch."""
    conn = await asyncpg.connect(dsn)
    try:
        await settle(conn)
        started = time.perf_counter()
        rows: list[tuple[Any, ...]] = []

        async def flush() -> None:
            async with conn.transaction():
                stored = {
                    r["name_key"] for r in await conn.fetch(SELECT_STORED, [row[1] for row in rows])
                }
                await conn.executemany(SEED_INSERT, [r for r in rows if r[1] not in stored])

        with csv_path.open(encoding="utf-8", newline="") as file:
            for record in csv.DictReader(file):
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
                    await flush()
                    rows = []
        if rows:
            await flush()
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


async def follow_job(url: str, job_id: str, stop: asyncio.Event) -> int:
    """A client following its job: `ingestionJob` over HTTP, FOLLOW_POLLS_PER_SECOND times a
    second, until `stop`. Returns how many polls it sent."""
    polls = 0
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=60) as http:
        while not stop.is_set():
            response = await http.post(
                url, json={"query": FOLLOW_JOB, "variables": {"id": job_id}}, headers=headers
            )
            if response.status_code != 200 or "errors" in response.json():
                raise RuntimeError(f"following the job failed: {response.text[:300]}")
            polls += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / FOLLOW_POLLS_PER_SECOND)
    return polls


class Served(Protocol):
    """A running server: this module's `Server`, or bench/server.py's `ServedProcess`."""

    @property
    def url(self) -> str: ...


async def ingest_through_server(
    server: Served, dsn: str, csv_path: Path, *, follow: bool = False
) -> dict[str, Any]:
    """Upload (multipart, streamed) and wait for the job: seconds from upload start to end.

    With `follow`, a client polls the job over HTTP all along (the end is still seen by the
    bench's own database connection, so both runs end the same way)."""
    started = time.perf_counter()
    with InsightaClient(Endpoint(server.url, TOKEN, "bench")) as client:
        job = (await asyncio.to_thread(client.upload, INGEST, csv_path))["ingestProfiles"]
    uploaded = time.perf_counter()
    stop = asyncio.Event()
    follower = asyncio.create_task(follow_job(server.url, job["id"], stop)) if follow else None
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
        stop.set()
    finished = time.perf_counter()
    polls = await follower if follower is not None else 0
    return {
        "job_id": job["id"],
        "seconds": finished - started,
        "upload_seconds": uploaded - started,
        "status": row["status"],
        "total_rows": row["total_rows"],
        "inserted": row["inserted"],
        "skipped": row["skipped"],
        "follower_polls": polls,
    }


def server_stages(log: Path, job_id: str) -> dict[str, Any]:
    """The stage times the server logged when the job completed (services/ingestion/runner.py)."""
    for line in log.read_text(errors="replace").splitlines():
        if job_id in line and "ingestion job completed" in line:
            event = json.loads(line)
            return {k: v for k, v in event.items() if k.endswith("_seconds") or k == "batches"}
    return {}


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
    new, stored_count = args.rows - args.rows // 2, args.rows // 2
    if args.existing < 2 * stored_count:
        raise SystemExit("--existing must hold at least --rows names")
    files = {
        "csv": workdir / "upload.csv",
        "table": workdir / "upload.tsv",
        "latency_csv": workdir / "latency.csv",
        "memory_csv": workdir / "memory.csv",
        "warmup_csv": workdir / "warmup.csv",
    }
    template = f"bench_ingest_tpl_{args.existing}"
    log(f"template {template}: {args.existing:,} existing profiles (seeder's bulk path)")
    built = await dbs.ensure_template(template, args.existing)
    await dbs.ensure_template("bench_ingest_tpl_0", 0)
    log("built" if built else "reused")
    log("generating files")
    write_csv(files["csv"], new, "U", 2, stored_names(args.existing, 0, stored_count))
    write_table_rows(files["table"], new, "U", seed=2)
    write_csv(
        files["latency_csv"], new, "L", 3, stored_names(args.existing, stored_count, stored_count)
    )
    write_csv(files["warmup_csv"], 1000, "W", seed=4)
    results: dict[str, Any] = {"template_built_now": built}
    expected = args.existing + new

    log("the COPY floor and where its time goes (each rolled back)")
    async with dbs.copy_of(template) as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            secondary = tuple(
                row["indexname"]
                for row in await conn.fetch(SECONDARY_INDEXES_SQL, list(ESSENTIAL_INDEXES))
            )
            floor = await rolled_back_copy(conn, files["table"])
            variants: dict[str, Any] = {
                "all_indexes_and_rollups": floor,
                "without_rollups": await rolled_back_copy(conn, files["table"], rollups=False),
                "without_secondary_indexes": await rolled_back_copy(
                    conn, files["table"], drop_indexes=secondary
                ),
                "without_either": await rolled_back_copy(
                    conn, files["table"], drop_indexes=secondary, rollups=False
                ),
            }
            if not args.quick:
                for index in secondary:
                    variants[f"without_{index}"] = await rolled_back_copy(
                        conn, files["table"], drop_indexes=(index,)
                    )
            batches, parse_seconds = await asyncio.to_thread(parse_file, files["csv"], BATCH_ROWS)
            await settle(conn)
            write_path = await write_path_stages(conn, batches)
            write_path["parse_in_one_process"] = round(parse_seconds, 3)
            write_path["batches"] = len(batches)
            del batches
            assert await conn.fetchval("select count(*) from profiles") == args.existing
        finally:
            await conn.close()
    results["copy_floor"] = variants
    results["write_path"] = write_path
    log(json.dumps(variants))
    log(json.dumps(write_path))

    log("the seed's method on the seed's schema (no rollups)")
    async with dbs.copy_of(template) as dsn:
        seed_seconds = await seed_method(dsn, files["csv"])
        assert await count_profiles(dsn) == expected
    log(f"seed's method {seed_seconds:.2f} s")

    log("ours, followed by a client 5x/s; then query latency idle and during ingestion")
    async with dbs.copy_of(template) as dsn, serving(dsn, workdir) as server:
        await ingest_through_server(server, dsn, files["warmup_csv"])  # processes warm
        await settle_database(dsn)
        outcome = await ingest_through_server(server, dsn, files["csv"], follow=True)
        assert outcome["status"] == "COMPLETED", outcome
        assert outcome["inserted"] == new, outcome
        assert outcome["skipped"] == stored_count, outcome
        never = asyncio.Event()
        await query_latencies(server.url, never, at_most=40)  # warm caches and plans
        idle = await query_latencies(server.url, never, at_most=args.latency_requests)
        await settle_database(dsn)
        stop = asyncio.Event()
        during_task = asyncio.create_task(query_latencies(server.url, stop, at_most=10**9))
        loaded = await ingest_through_server(server, dsn, files["latency_csv"], follow=True)
        stop.set()
        during = await during_task
        assert loaded["status"] == "COMPLETED", loaded
        assert loaded["inserted"] == new, loaded
    log_file = workdir / "server.log"
    rounds = {
        "floor": [float(floor["seconds"])],
        "seed_method": [seed_seconds],
        "ours": [float(outcome["seconds"])],
    }
    for number in range(2, args.rounds + 1):
        log(f"round {number} of {args.rounds}: the floor, the seed's method and ours again")
        await another_round(rounds, number, dbs, template, files, workdir, new)
    results["rounds"] = {name: [round(s, 2) for s in seconds] for name, seconds in rounds.items()}
    log(json.dumps(results["rounds"]))
    # The medians: on a shared machine one run of a method can take 1.5x another of the same.
    ours_seconds = statistics.median(rounds["ours"])
    floor_seconds = statistics.median(rounds["floor"])
    seed_seconds = statistics.median(rounds["seed_method"])
    results["ours"] = {
        "existing_profiles": args.existing,
        "file_rows": args.rows,
        "new_rows": new,
        "seconds": round(ours_seconds, 2),
        "upload_seconds": round(float(outcome["upload_seconds"]), 2),
        "follower_polls": outcome["follower_polls"],
        "copy_floor_seconds": round(floor_seconds, 2),
        "seed_method_seconds": round(seed_seconds, 2),
        "times_copy_floor": round(ours_seconds / floor_seconds, 2),
        "speedup_over_seed_method": round(seed_seconds / ours_seconds, 2),
        "server_stages": server_stages(log_file, str(outcome["job_id"])),
    }
    log(json.dumps(results["ours"]))
    idle_summary, during_summary = summary(idle), summary(during)
    results["query_latency"] = {
        "idle": idle_summary,
        "during_ingestion": during_summary,
        "p50_ratio": round(during_summary["p50_ms"] / idle_summary["p50_ms"], 2),
        "p95_ratio": round(during_summary["p95_ms"] / idle_summary["p95_ms"], 2),
        "ingestion_seconds_under_query_load": round(float(loaded["seconds"]), 2),
        "server_stages_under_query_load": server_stages(log_file, str(loaded["job_id"])),
    }
    log(json.dumps(results["query_latency"]))

    if args.memory_rows:
        log(f"memory: a {args.memory_rows:,}-row file into an empty table")
        write_csv(files["memory_csv"], args.memory_rows, "M", seed=5)
        size = files["memory_csv"].stat().st_size
        async with dbs.copy_of("bench_ingest_tpl_0") as dsn, serving(dsn, workdir) as server:
            await ingest_through_server(server, dsn, files["warmup_csv"])
            pid = server.process.pid
            parsers = parse_processes(pid)
            server_base = rss_kib(pid)
            parser_base = max((rss_kib(p) for p in parsers), default=0)
            with Sampler(pid) as sampler:
                big = await ingest_through_server(server, dsn, files["memory_csv"], follow=True)
        files["memory_csv"].unlink()
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
    if args.drop_template:
        await dbs.admin(f'drop database if exists "{template}" with (force)')
    return results


async def another_round(
    rounds: dict[str, list[float]],
    number: int,
    dbs: "Databases",
    template: str,
    files: dict[str, Path],
    workdir: Path,
    new: int,
) -> None:
    """The floor, the seed's method and ours once more, each on a fresh copy of the template,
    in an order that turns with the round (a drift of the machine then falls on each in turn)."""

    async def floor() -> float:
        async with dbs.copy_of(template) as dsn:
            conn = await asyncpg.connect(dsn)
            try:
                return float((await rolled_back_copy(conn, files["table"]))["seconds"])
            finally:
                await conn.close()

    async def seed() -> float:
        async with dbs.copy_of(template) as dsn:
            return await seed_method(dsn, files["csv"])

    async def ours() -> float:
        async with dbs.copy_of(template) as dsn, serving(dsn, workdir) as server:
            await ingest_through_server(server, dsn, files["warmup_csv"])
            await settle_database(dsn)
            outcome = await ingest_through_server(server, dsn, files["csv"], follow=True)
        assert outcome["status"] == "COMPLETED", outcome
        assert outcome["inserted"] == new, outcome
        return float(outcome["seconds"])

    methods = [("floor", floor), ("seed_method", seed), ("ours", ours)]
    turn = number % len(methods)
    for name, method in methods[turn:] + methods[:turn]:
        rounds[name].append(await method())
        log(f"round {number}: {name} {rounds[name][-1]:.2f} s")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def markdown(report: dict[str, Any]) -> str:
    results, machine = report["results"], report["machine"]
    o, q, f = results["ours"], results["query_latency"], results["copy_floor"]
    w = results["write_path"]
    rows, new = o["file_rows"], o["new_rows"]
    floor = f["all_indexes_and_rollups"]
    r = results.get("rounds") or {
        "floor": [floor["seconds"]],
        "seed_method": [o["seed_method_seconds"]],
        "ours": [o["seconds"]],
    }

    def runs(name: str) -> str:
        return ", ".join(f"{seconds:.2f}" for seconds in r[name])

    def rate(seconds: float) -> str:
        return f"{round(new / seconds):,}"

    def share(seconds: float) -> str:
        return f"{seconds / floor['seconds']:.2f}"

    lines = [
        "# CSV ingestion benchmark",
        "",
        f"`{report['command']}`",
        "",
        f"{machine['cpus']} CPUs, PostgreSQL {machine['postgres']} ({machine['database']}), "
        f"{report['date']}. One run: every ratio compares figures measured in it.",
        "",
        f"{o['existing_profiles']:,} existing profiles; a {rows:,}-row file, {new:,} new names "
        f"and {rows - new:,} already stored. New rows/s counts the {new:,} new rows. Each "
        f"method ran {len(r['ours'])} times, each time on a fresh copy of the table, in turns; "
        "the table gives the medians.",
        "",
        "| method | seconds (median) | new rows/s | ratio | each run, s |",
        "|---|---|---|---|---|",
        f"| raw COPY of the new rows, same indexes and rollup upkeep, rolled back (the floor) "
        f"| {o['copy_floor_seconds']} | {rate(o['copy_floor_seconds'])} | 1 | "
        f"{runs('floor')} |",
        f"| the seed's method (csv, 10k batches, SELECT + executemany), no rollups "
        f"| {o['seed_method_seconds']} | {rate(o['seed_method_seconds'])} | "
        f"{o['seed_method_seconds'] / o['copy_floor_seconds']:.2f}x the floor | "
        f"{runs('seed_method')} |",
        f"| ours: upload to COMPLETED through `insighta serve`, a client polling the job "
        f"{FOLLOW_POLLS_PER_SECOND}x/s ({o['follower_polls']} polls) | {o['seconds']} | "
        f"{rate(o['seconds'])} | **{o['times_copy_floor']}x the floor** (target <= 1.33), "
        f"**{o['speedup_over_seed_method']}x the seed's method's speed** (target >= 2) | "
        f"{runs('ours')} |",
        "",
        f"The upload (multipart over localhost) is part of ours: {o['upload_seconds']} s.",
        "",
        "## Where the time goes",
        "",
        "From the first run. The floor's COPY again, rolled back each time, with parts of the"
        " table's upkeep removed"
        " (WAL: bytes written by the statement, cluster-wide LSN difference):",
        "",
        "| COPY of the new rows into profiles | seconds | of the floor | WAL MiB |",
        "|---|---|---|---|",
        *(
            f"| {name.replace('_', ' ')} | {v['seconds']} | {share(v['seconds'])} | "
            f"{v['wal_bytes'] / 2**20:.0f} |"
            for name, v in f.items()
        ),
        "",
        f"Our write path in this process, the same file in {w['batches']} batches of "
        f"{BATCH_ROWS:,} rows (each rolled back): parse {w['parse_in_one_process']} s "
        f"(one process, all batches), staging COPY {w.get('staging_copy', 0)} s, INSERT ... SELECT"
        f" ... ON CONFLICT {w.get('insert_select', 0)} s (of which the rollups "
        f"{w.get('rollups', 0)} s; WAL {w.get('insert_wal_bytes', 0) / 2**20:.0f} MiB, "
        f"{w.get('insert_wal_full_page_images', 0):,} full-page images), duplicate lookup "
        f"{w.get('duplicates', 0)} s.",
        "",
        "Ours in the first run as the server logged it (seconds, summed over batches; parse "
        "wait is what "
        "parsing did not hide behind writing): "
        + ", ".join(f"{k.removesuffix('_seconds')} {v}" for k, v in o["server_stages"].items())
        + ".",
        "",
        "## Queries while ingesting",
        "",
        "| query mix over HTTP | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
        f"| idle | {q['idle']['n']} | {q['idle']['p50_ms']} | {q['idle']['p95_ms']} |",
        f"| while {rows:,} more rows are ingested | {q['during_ingestion']['n']} | "
        f"{q['during_ingestion']['p50_ms']} | {q['during_ingestion']['p95_ms']} |",
        f"| ratio | | {q['p50_ratio']} | **{q['p95_ratio']}** (target <= 2) |",
        "",
        f"Under that query load the file took {q['ingestion_seconds_under_query_load']} s "
        f"(stages: "
        + ", ".join(
            f"{k.removesuffix('_seconds')} {v}"
            for k, v in q["server_stages_under_query_load"].items()
        )
        + ").",
    ]
    if "memory" in results:
        m = results["memory"]
        lines += [
            "",
            f"Memory, {m['rows']:,}-row file ({m['file_mib']} MiB, {m['seconds']} s, into an "
            f"empty table): server RSS {m['server_rss_before_mib']} -> "
            f"{m['server_rss_peak_mib']} MiB (growth **{m['server_growth_mib']} MiB**); parse "
            f"process {m['parse_process_rss_before_mib']} -> {m['parse_process_rss_peak_mib']} "
            f"MiB (growth **{m['parse_process_growth_mib']} MiB**); target <= 64 MiB growth.",
        ]
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1M existing, 100k rows, no memory")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--existing", type=int)
    parser.add_argument("--memory-rows", type=int, help="0 skips the memory run")
    parser.add_argument("--latency-requests", type=int, default=400)
    parser.add_argument(
        "--rounds", type=int, help="times the floor, the seed's method and ours run (3; quick 1)"
    )
    parser.add_argument("--drop-template", action="store_true")
    parser.add_argument("--dsn", help="a PostgreSQL server to use instead of an embedded one")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    quick = {"rows": 100_000, "existing": 1_000_000, "memory_rows": 0, "rounds": 1}
    full = {"rows": 500_000, "existing": 10_000_000, "memory_rows": 5_000_000, "rounds": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
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
            "rounds": args.rounds,
        },
        "results": results,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    name = "ingestion" if not args.quick else "ingestion-quick"
    (args.output / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output / f"{name}.md").write_text(markdown(report))
    log(f"wrote {args.output / name}.json and .md")


if __name__ == "__main__":
    asyncio.run(main())
