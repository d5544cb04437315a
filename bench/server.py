"""The API as clients meet it: `insighta serve` in its own process on 127.0.0.1."""

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg
import httpx

STARTUP_SECONDS: Final = 180

# Every worker's pool keeps a connection named `insighta-<pid>` (services/platform/database.py).
_SERVING_PROCESSES = """
select count(distinct application_name) from pg_stat_activity
 where datname = current_database() and application_name ~ '^insighta-[0-9]+$'
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ServedProcess:
    url: str  # the GraphQL endpoint
    pid: int  # the process started; with --workers N, the supervisor of N worker processes


@asynccontextmanager
async def running_server(
    database_url: str,
    secret_key: str,
    *,
    log_path: Path,
    workers: int = 1,
    cache_ttl_seconds: int = 300,
) -> AsyncIterator[str]:
    """Start `insighta serve --workers N`, wait for /healthz, yield its GraphQL URL, stop it
    with SIGTERM (the supervisor stops its workers first)."""
    async with running_server_process(
        database_url,
        secret_key,
        log_path=log_path,
        workers=workers,
        cache_ttl_seconds=cache_ttl_seconds,
    ) as served:
        yield served.url


@asynccontextmanager
async def running_server_process(
    database_url: str,
    secret_key: str,
    *,
    log_path: Path,
    workers: int = 1,
    cache_ttl_seconds: int = 300,
    extra_environment: Mapping[str, str] | None = None,
) -> AsyncIterator[ServedProcess]:
    """As `running_server`, yielding the process id too (to read its memory from /proc);
    `extra_environment` adds to (or overrides) the server's variables."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "CACHE_TTL_SECONDS": str(cache_ttl_seconds),
        # The bench is one caller sending thousands of requests a minute on purpose.
        "RATE_LIMIT_PER_MINUTE": "0",
        **(extra_environment or {}),
    }
    # Each worker keeps its own result cache and rate limits: one machine, no Redis, measured.
    environment.pop("REDIS_URL", None)
    environment.pop("WEB_CONCURRENCY", None)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    before = await _serving_processes(database_url)
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("insighta")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            env=environment,
            stdout=log,
            stderr=log,
        )
        try:
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            # /healthz answers once one worker serves; a throughput window needs all of them.
            await _wait_serving(database_url, before + workers, process)
            yield ServedProcess(f"http://127.0.0.1:{port}/graphql", process.pid)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), timeout=20)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    loop = asyncio.get_running_loop()
    # Workers import for 8-50 s on a busy 2-core machine (measured; see server/supervisor.py).
    deadline = loop.time() + STARTUP_SECONDS
    async with httpx.AsyncClient() as client:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the server exited with code {process.returncode}")
            try:
                if (await client.get(url, timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy within {STARTUP_SECONDS} s")


async def _serving_processes(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(_SERVING_PROCESSES))
    finally:
        await conn.close()


async def _wait_serving(
    database_url: str, processes: int, process: asyncio.subprocess.Process
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    while loop.time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        if await _serving_processes(database_url) >= processes:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{processes} server processes not connected within {STARTUP_SECONDS} s")
