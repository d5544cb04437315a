"""The API as clients meet it: `insighta serve` in its own process on 127.0.0.1."""

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running_server(
    database_url: str, secret_key: str, *, log_path: Path, cache_ttl_seconds: int = 300
) -> AsyncIterator[str]:
    """Start the server, wait for /healthz, yield its GraphQL URL, stop it with SIGTERM."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "CACHE_TTL_SECONDS": str(cache_ttl_seconds),
        # The bench is one caller sending thousands of requests a minute on purpose.
        "RATE_LIMIT_PER_MINUTE": "0",
    }
    environment.pop("REDIS_URL", None)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("insighta")),
            "serve",
            "--port",
            str(port),
            env=environment,
            stdout=log,
            stderr=log,
        )
        try:
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}/graphql"
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
    deadline = loop.time() + 60
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
    raise RuntimeError("the server did not become healthy within 60 s")
