"""`uv run python -m bench.peers [--profiles N] [--quick]`: Insighta beside PostGraphile 4 and a
bare Starlette endpoint, on the same database, measured with wrk (also `insighta bench`).

Every server is its own process on 127.0.0.1, started once and idle while another is measured:
the transport floor (fixed bytes: Insighta's page), PostGraphile (one node process), Insighta
with the cache off (CACHE_TTL_SECONDS=0) and with default settings, each also with
`--workers N`. Before timing, both servers' pages must hold the same ids. Then rounds: every
case at 1 connection (latency) and at 32 (throughput), the order reversed every other round,
medians of the rounds reported. The machine is shared and noisy, so the report gives ratios
against PostGraphile and the floor measured in the same rounds. Last, an optional long run of
the cached page records the server's RSS every few seconds.
"""

import argparse
import asyncio
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx

from bench.dataset import ensure_dataset
from bench.memory import tree_rss_bytes
from bench.peer_cases import Case, insighta_columns
from bench.peer_cases import cases as peer_cases
from bench.peer_queries import insighta_page, postgraphile_page, read_page, same_page
from bench.peer_servers import ensure_postgraphile, running_floor, running_postgraphile
from bench.peers_report import write_peers_results
from bench.server import ServedProcess, running_server_process
from bench.wrk import WrkMissing, WrkRun, lua_script, run_wrk, wrk_path
from services.auth.tokens import Role, issue_token
from services.platform.settings import Secret, Settings
from services.profiles.synthetic import DEFAULT_SEED

ROOT: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = ROOT / "bench" / "results"
SCRATCH: Final = ROOT / "bench" / ".peers"  # gitignored: node_modules, wrk scripts, logs
CONNECTIONS: Final = 32
THREADS: Final = 2  # wrk threads at 32 connections: one per core of this 2-core machine
_ACTIVE_STATEMENTS = """
select count(*) from pg_stat_activity
 where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
"""
SETTLE_SECONDS: Final = 120


class MissingPrerequisite(RuntimeError):
    """Something the run needs is not on this machine: said in one line, before any work."""


@dataclass(frozen=True)
class Options:
    profiles: int
    quick: bool
    rounds: int
    seconds: float
    workers: int
    memory_requests: int
    memory_interval: float
    memory_case: str = "cached_page"


async def run_peers(settings: Settings, options: Options, say: Callable[[str], None]) -> Path:
    wrk = wrk_path()
    if settings.database_url is None:
        raise MissingPrerequisite(
            "set DATABASE_URL to a PostgreSQL server: PostGraphile and Insighta share its"
            " insighta_bench_<N> database"
        )
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise MissingPrerequisite(
            "node and npm are needed to run PostGraphile beside Insighta: install Node.js 20"
        )
    say(f"dataset: {options.profiles:,} synthetic profiles (built once, then reused)")
    dataset = await ensure_dataset(
        settings.database_url.reveal(),
        options.profiles,
        seed=DEFAULT_SEED,
        on_progress=lambda _: None,
    )
    say("PostGraphile: npm install into bench/.peers (once)")
    versions = await asyncio.to_thread(ensure_postgraphile, SCRATCH)
    secret = secrets.token_urlsafe(32)
    token = issue_token(Secret(secret), role=Role.ANALYST, subject="bench", ttl=timedelta(hours=6))
    cases = peer_cases(options.workers)
    result: dict[str, Any] = {
        "kind": "peers",
        "started_at": datetime.now(UTC).isoformat(),
        "profiles": options.profiles,
        "quick": options.quick,
        "command": _command(options),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "versions": {**versions, "wrk": _wrk_version(wrk), "node": _node_version()},
        "rounds": options.rounds,
        "seconds": options.seconds,
        "connections": CONNECTIONS,
        "threads": THREADS,
        "workers": options.workers,
    }
    logs = SCRATCH / "logs"
    async with AsyncExitStack() as stack:
        servers: dict[str, ServedProcess] = {}
        for suffix, count in insighta_columns(options.workers):
            for name, ttl in ((f"insighta{suffix}", 300), (f"insighta_uncached{suffix}", 0)):
                say(f"starting {name} (serve --workers {count}, CACHE_TTL_SECONDS={ttl})")
                servers[name] = await stack.enter_async_context(
                    running_server_process(
                        dataset.dsn,
                        secret,
                        log_path=logs / f"{name}.log",
                        workers=count,
                        cache_ttl_seconds=ttl,
                    )
                )
        say("starting PostGraphile")
        servers["postgraphile"] = await stack.enter_async_context(
            running_postgraphile(dataset.dsn, SCRATCH, log_path=logs / "postgraphile.log")
        )
        headers = _headers(token)
        check, floor_body, media_type = await _check_answers(servers, cases, headers)
        result["check"] = check
        say(f"same page from both servers: {check['rows']} rows, total {check['total']:,}")
        servers["floor"] = await stack.enter_async_context(
            running_floor(floor_body, media_type, SCRATCH, log_path=logs / "floor.log")
        )
        scripts = _write_scripts(cases, headers, floor_body)
        rss_start = {name: tree_rss_bytes(served.pid) for name, served in servers.items()}
        watcher = await asyncpg.connect(dataset.dsn)
        stack.push_async_callback(watcher.close)
        say("warming every case")
        for case in cases:
            await run_wrk(
                servers[case.server].url,
                scripts[case.key],
                connections=CONNECTIONS,
                threads=THREADS,
                seconds=1,
            )
            await _settle(watcher)
        runs: dict[str, list[dict[str, Any]]] = {case.key: [] for case in cases}
        for round_ in range(options.rounds):
            say(
                f"round {round_ + 1} of {options.rounds}: {len(cases)} cases,"
                f" 1 and {CONNECTIONS} connections"
            )
            order = cases if round_ % 2 == 0 else list(reversed(cases))
            for case in order:
                url, script = servers[case.server].url, scripts[case.key]
                latency = await run_wrk(
                    url, script, connections=1, threads=1, seconds=options.seconds
                )
                load = await run_wrk(
                    url, script, connections=CONNECTIONS, threads=THREADS, seconds=options.seconds
                )
                runs[case.key].append({"latency": _fields(latency), "load": _fields(load)})
                await _settle(watcher)
        rss_end = {name: tree_rss_bytes(served.pid) for name, served in servers.items()}
        result["servers"] = {
            name: {"rss_start": rss_start[name], "rss_end": rss_end[name]} for name in servers
        }
        result["cases"] = [_case_result(case, runs[case.key]) for case in cases]
        if options.memory_requests > 0:
            case = next(case for case in cases if case.key == options.memory_case)
            say(
                f"memory: {options.memory_requests:,} requests of {case.label!r} at"
                f" {CONNECTIONS} connections, RSS every {options.memory_interval:g} s"
            )
            result["memory"] = await _memory_run(
                servers[case.server], scripts[case.key], options, case
            )
    json_path = write_peers_results(result, RESULTS)
    say(
        f"results: {json_path.relative_to(ROOT)}"
        f" and {json_path.with_suffix('.md').relative_to(ROOT)}"
    )
    return json_path


async def _settle(watcher: asyncpg.Connection) -> None:
    """Wait until no statement runs on the benchmark's database. A server goes on with the
    requests it queued after wrk hangs up (PostGraphile's counts take a second each at 10M
    rows), and that work must not land in the next case's window."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while loop.time() < deadline:
        if not await watcher.fetchval(_ACTIVE_STATEMENTS):
            return
        await asyncio.sleep(0.1)


def _headers(token: str) -> dict[str, dict[str, str]]:
    plain = {"Content-Type": "application/json", "Accept": "application/json"}
    return {"plain": plain, "insighta": {**plain, "Authorization": f"Bearer {token}"}}


async def _check_answers(
    servers: dict[str, ServedProcess], cases: list[Case], headers: dict[str, dict[str, str]]
) -> tuple[dict[str, Any], bytes, str]:
    """Every case answers 200 without errors; both servers' pages hold the same ids; the cached
    Insighta page's bytes and media type (for the floor)."""
    async with httpx.AsyncClient(timeout=120) as client:

        async def post(server: str, body: bytes, insighta: bool) -> httpx.Response:
            response = await client.post(
                servers[server].url,
                content=body,
                headers=headers["insighta" if insighta else "plain"],
            )
            if response.status_code != 200 or b'"errors"' in response.content:
                raise RuntimeError(f"{server}: {response.status_code} {response.text[:500]}")
            return response

        for case in cases:
            if case.server != "floor":
                await post(case.server, case.body, case.insighta)
        ours = read_page((await post("insighta_uncached", insighta_page(total=True), True)).content)
        theirs = read_page(
            (await post("postgraphile", postgraphile_page(total=True), False)).content
        )
        check = same_page(ours, theirs)
        cached = await post("insighta", insighta_page(total=True), True)
        if read_page(cached.content).ids != ours.ids:
            raise RuntimeError("the cached page differs from the uncached one")
        media_type = cached.headers.get("content-type", "application/json")
        check["body_bytes"] = len(cached.content)
        return check, cached.content, media_type


def _write_scripts(
    cases: list[Case], headers: dict[str, dict[str, str]], floor_body: bytes
) -> dict[str, Path]:
    folder = SCRATCH / "wrk"
    folder.mkdir(parents=True, exist_ok=True)
    scripts = {}
    for case in cases:
        path = folder / f"{case.key}.lua"
        path.write_text(lua_script(case.body, headers["insighta" if case.insighta else "plain"]))
        scripts[case.key] = path
    return scripts


def _fields(run: WrkRun) -> dict[str, Any]:
    return {
        **asdict(run),
        "per_second": run.per_second,
        "bytes_per_response": run.bytes_per_response,
    }


def _case_result(case: Case, runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(kind: str, field: str) -> float:
        return float(statistics.median(run[kind][field] for run in runs))

    return {
        "key": case.key,
        "label": case.label,
        "server": case.server,
        "p50_ms": median("latency", "p50_ms"),
        "p95_ms": median("latency", "p95_ms"),
        "p99_ms": median("latency", "p99_ms"),
        "per_second": median("load", "per_second"),
        "load_p50_ms": median("load", "p50_ms"),
        "load_p99_ms": median("load", "p99_ms"),
        "non_2xx": sum(run[kind]["non_2xx"] for run in runs for kind in ("latency", "load")),
        "socket_errors": sum(
            run[kind]["socket_errors"] for run in runs for kind in ("latency", "load")
        ),
        "requests": sum(run[kind]["requests"] for run in runs for kind in ("latency", "load")),
        "bytes_per_response": median("load", "bytes_per_response"),
        "rounds": runs,
    }


async def _memory_run(
    served: ServedProcess, script: Path, options: Options, case: Case
) -> dict[str, Any]:
    samples = [{"seconds": 0.0, "requests": 0, "rss": tree_rss_bytes(served.pid), "non_2xx": 0}]
    requests = non_2xx = 0
    seconds = 0.0
    while requests < options.memory_requests:
        run = await run_wrk(
            served.url,
            script,
            connections=CONNECTIONS,
            threads=THREADS,
            seconds=options.memory_interval,
        )
        requests += run.requests
        non_2xx += run.non_2xx + run.socket_errors
        seconds += run.seconds
        samples.append(
            {
                "seconds": seconds,
                "requests": requests,
                "rss": tree_rss_bytes(served.pid),
                "non_2xx": non_2xx,
            }
        )
    return {
        "server": case.server,
        "case": case.key,
        "label": case.label,
        "interval": options.memory_interval,
        "samples": samples,
    }


def _command(options: Options) -> str:
    parts = ["python -m bench.peers", f"--profiles {options.profiles}"]
    parts += ["--quick"] if options.quick else []
    parts += [f"--rounds {options.rounds}", f"--seconds {options.seconds:g}"]
    parts += [f"--workers {options.workers}", f"--memory-requests {options.memory_requests}"]
    if options.memory_case != "cached_page":
        parts += [f"--memory-case {options.memory_case}"]
    return " ".join(parts)


def _wrk_version(path: str) -> str:
    # `wrk -v` prints its version and exits 1.
    completed = subprocess.run([path, "-v"], capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).split("Copyright")[0].strip()


def _node_version() -> str:
    completed = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return completed.stdout.strip()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers",
        description="Insighta beside PostGraphile 4 and a bare Starlette endpoint, with wrk.",
    )
    parser.add_argument(
        "--profiles", type=_positive, default=1_000_000, help="dataset size [default: 1,000,000]"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 rounds of 3 s windows, a 50,000-request memory run (a few minutes at 1M)",
    )
    parser.add_argument(
        "--rounds", type=_positive, help="rounds over every case [default: 5; 3 with --quick]"
    )
    parser.add_argument(
        "--seconds", type=_positive, help="each wrk window, in seconds [default: 8; 3 with --quick]"
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=2,
        help="Insighta's extra column, `serve --workers N`; 1 leaves it out [default: 2]",
    )
    parser.add_argument(
        "--memory-requests",
        type=int,
        help="cached pages in the memory run, 0 for none [default: 200,000; 50,000 with --quick]",
    )
    parser.add_argument(
        "--memory-interval",
        type=float,
        default=5.0,
        help="seconds between RSS samples in the memory run [default: 5]",
    )
    parser.add_argument(
        "--memory-case",
        choices=["cached_page", "uncached_total", "uncached_page"],
        default="cached_page",
        help="what the memory run sends, to one worker [default: cached_page]",
    )
    args = parser.parse_args(argv)
    memory = args.memory_requests
    if memory is None:
        memory = 50_000 if args.quick else 200_000
    return Options(
        profiles=args.profiles,
        quick=args.quick,
        rounds=args.rounds or (3 if args.quick else 5),
        seconds=float(args.seconds or (3 if args.quick else 8)),
        workers=args.workers,
        memory_requests=max(0, memory),
        memory_interval=args.memory_interval,
        memory_case=args.memory_case,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        asyncio.run(run_peers(Settings.from_env(), options, say=print))
    except (WrkMissing, MissingPrerequisite) as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
