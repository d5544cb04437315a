"""Benchmark: the CSV export streams in constant memory and starts at once, whatever the size.

For each size it loads that many synthetic profiles, starts a fresh `insighta serve`, asks
`profileExport` for a link and downloads it at full speed, sampling the server's resident
memory. It reports, per size: time to first byte, total time, rows per second, and the
server's peak RSS; then the ratios of the largest size to the smallest (the baseline,
measured in the same run). Constant memory means a peak-RSS ratio near 1 while rows grow
tenfold or more.

    uv run python bench/export_stream.py                      # 100k and 1M rows
    uv run python bench/export_stream.py --sizes 100000 10000000
    uv run python bench/export_stream.py --throttle-mbps 20   # a slow client

It needs a PostgreSQL it may fill: DATABASE_URL's server (a database `insighta_export_bench` is
created there and dropped after), else an embedded one in a temporary folder. Results go to
bench/results/export_stream.json (export_stream_throttled.json with --throttle-mbps).
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db import rollups as rollups_db  # noqa: E402
from db.embedded import EmbeddedPostgres  # noqa: E402
from db.migrations import apply_migrations  # noqa: E402
from tests.live_server import start_live_server, stop_live_server  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"
# Synthetic rows straight from generate_series: unique names, every country code cycling.
FILL = """
insert into profiles (id, name, name_key, gender, gender_probability, age,
                      country_id, country_name, country_probability, created_at)
select gen_random_uuid(), 'Bench Person ' || i, 'bench person ' || i,
       case when i % 2 = 0 then 'male' else 'female' end, (i % 100) / 100.0,
       i % 100, (array['NG','KE','GH','US','GB'])[1 + i % 5],
       (array['Nigeria','Kenya','Ghana','United States','United Kingdom'])[1 + i % 5],
       (i % 97) / 97.0, now()
  from generate_series($1::bigint, $2::bigint) as i
"""
EXPORT = "{ profileExport { url } }"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _server_pids(root_pid: int) -> list[int]:
    """The serve process and its children (uv may sit between us and Python)."""
    pids, frontier = [root_pid], [root_pid]
    while frontier:
        pid = frontier.pop()
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            found = [int(child) for child in children.read_text().split()]
            pids += found
            frontier += found
    return pids


def measure(dsn: str, rows: int, workdir: Path, throttle_mbps: float | None) -> dict[str, Any]:
    server = start_live_server(database_url=dsn, secret_key=SECRET, directory=workdir)
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            total = sum(_rss_kib(pid) for pid in _server_pids(server.process.pid))
            peak[0] = max(peak[0], total)
            stop.wait(0.02)

    try:
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        with httpx.Client(timeout=None) as client:
            link = client.post(server.graphql_url, json={"query": EXPORT}, headers=headers)
            url = link.json()["data"]["profileExport"]["url"]
            idle_rss = sum(_rss_kib(pid) for pid in _server_pids(server.process.pid))
            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            first_byte, size, lines = None, 0, 0
            with client.stream("GET", url) as response:
                for chunk in response.iter_raw():
                    if first_byte is None:
                        first_byte = time.perf_counter() - started
                    size += len(chunk)
                    lines += chunk.count(b"\n")
                    if throttle_mbps:
                        # A slow client: the server must wait for it, not buffer ahead.
                        time.sleep(len(chunk) / (throttle_mbps * 1_000_000))
            elapsed = time.perf_counter() - started
            stop.set()
            sampler.join()
    finally:
        stop.set()
        stop_live_server(server)
    assert lines - 1 == rows, f"exported {lines - 1} rows, expected {rows}"
    return {
        "rows": rows,
        "bytes": size,
        "first_byte_ms": round((first_byte or 0) * 1000, 1),
        "seconds": round(elapsed, 2),
        "rows_per_second": round(rows / elapsed),
        "server_rss_idle_mib": round(idle_rss / 1024, 1),
        "server_rss_peak_mib": round(peak[0] / 1024, 1),
        "server_rss_growth_mib": round((peak[0] - idle_rss) / 1024, 1),
    }


async def fill(dsn: str, rows: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await rollups_db.delete_all_profiles(conn)
        step = 1_000_000
        for start in range(1, rows + 1, step):
            await conn.execute(FILL, start, min(start + step - 1, rows))
        await conn.execute("vacuum analyze profiles")
    finally:
        await conn.close()


async def create_database(server_dsn: str) -> str:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute("drop database if exists insighta_export_bench with (force)")
        await admin.execute("create database insighta_export_bench")
    finally:
        await admin.close()
    prefix, _, rest = server_dsn.partition("://")
    authority, _, path_and_query = rest.partition("/")
    _, question, query = path_and_query.partition("?")
    dsn = f"{prefix}://{authority}/insighta_export_bench" + (f"?{query}" if question else "")
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return dsn


async def drop_database(server_dsn: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute("drop database if exists insighta_export_bench with (force)")
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--throttle-mbps", type=float, help="read at most this many MB/s (a slow client)"
    )
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="insighta-bench-"))
    embedded = None
    server_dsn = os.environ.get("DATABASE_URL")
    if not server_dsn:
        embedded = EmbeddedPostgres(workdir / "pg")
        server_dsn = embedded.start()
    try:
        dsn = asyncio.run(create_database(server_dsn))
        results = []
        for rows in sorted(arguments.sizes):
            asyncio.run(fill(dsn, rows))
            directory = Path(tempfile.mkdtemp(dir=workdir))
            result = measure(dsn, rows, directory, arguments.throttle_mbps)
            result["throttle_mbps"] = arguments.throttle_mbps
            print(json.dumps(result), flush=True)
            results.append(result)
        asyncio.run(drop_database(server_dsn))
    finally:
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    baseline, largest = results[0], results[-1]
    summary = {
        "rows_ratio": largest["rows"] / baseline["rows"],
        "peak_rss_ratio": round(
            largest["server_rss_peak_mib"] / baseline["server_rss_peak_mib"], 3
        ),
        "rss_growth_mib": [result["server_rss_growth_mib"] for result in results],
        "first_byte_ratio": round(
            largest["first_byte_ms"] / max(baseline["first_byte_ms"], 0.1), 2
        ),
    }
    name = "export_stream_throttled.json" if arguments.throttle_mbps else "export_stream.json"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "summary": summary}, indent=2) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
