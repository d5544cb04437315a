"""The servers Insighta is measured beside, each its own process on 127.0.0.1: PostGraphile 4
(installed with npm into a scratch folder) on the benchmark's database, and the transport floor
(bench/floor_app.py)."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import httpx
import orjson

from bench.server import ServedProcess, free_port

ROOT: Final = Path(__file__).resolve().parents[1]
# Majors, not exact versions: npm takes the newest 4.x and 2.x (the plugin's 2.x line is the
# one for PostGraphile 4); the run records what it got.
PACKAGES: Final = ("postgraphile@4", "postgraphile-plugin-connection-filter@2")
FILTER_PLUGIN: Final = "postgraphile-plugin-connection-filter"
STARTUP_SECONDS: Final = 120
# PostGraphile's "For Production" options (postgraphile.org/postgraphile/current/usage-cli),
# less the simplify-inflector plugin (names only) and query batching (unused here): no watch
# (the default), no GraphiQL, no query log.
POSTGRAPHILE_FLAGS: Final = (
    "--schema",
    "public",
    "--retry-on-init-fail",
    "--dynamic-json",
    "--no-setof-functions-contain-nulls",
    "--no-ignore-rbac",
    "--extended-errors",
    "errcode",
    "--disable-graphiql",
    "--disable-query-log",
    "--legacy-relations",
    "omit",
    "--append-plugins",
    FILTER_PLUGIN,
)


def ensure_postgraphile(scratch: Path) -> dict[str, str]:
    """Install PostGraphile and the filter plugin under `scratch` once; their versions."""
    modules = scratch / "node_modules"
    if not all((modules / name.rsplit("@", 1)[0] / "package.json").exists() for name in PACKAGES):
        scratch.mkdir(parents=True, exist_ok=True)
        command = ["npm", "install", "--no-audit", "--no-fund", "--silent", *PACKAGES]
        subprocess.run(command, cwd=scratch, check=True)
    return {
        name: orjson.loads((modules / name / "package.json").read_bytes())["version"]
        for name in (package.rsplit("@", 1)[0] for package in PACKAGES)
    }


@asynccontextmanager
async def running_postgraphile(
    dsn: str, scratch: Path, *, log_path: Path
) -> AsyncIterator[ServedProcess]:
    port = free_port()
    cli = scratch / "node_modules" / "postgraphile" / "cli.js"
    arguments = ["--connection", dsn, "--host", "127.0.0.1", "--port", str(port)]
    async with _process(
        ["node", str(cli), *arguments, *POSTGRAPHILE_FLAGS],
        cwd=scratch,
        log_path=log_path,
        env={**os.environ, "NODE_ENV": "production"},
        url=f"http://127.0.0.1:{port}/graphql",
        probe=b'{"query": "{ __typename }"}',
    ) as served:
        yield served


@asynccontextmanager
async def running_floor(
    body: bytes, media_type: str, scratch: Path, *, log_path: Path
) -> AsyncIterator[ServedProcess]:
    port = free_port()
    body_path = scratch / "floor-body.json"
    body_path.write_bytes(body)
    command = [sys.executable, "-m", "bench.floor_app", "--port", str(port)]
    command += ["--body", str(body_path), "--media-type", media_type]
    async with _process(
        command,
        cwd=ROOT,
        log_path=log_path,
        env=dict(os.environ),
        url=f"http://127.0.0.1:{port}/graphql",
        probe=b"{}",
    ) as served:
        yield served


@asynccontextmanager
async def _process(
    command: list[str],
    *,
    cwd: Path,
    log_path: Path,
    env: dict[str, str],
    url: str,
    probe: bytes,
) -> AsyncIterator[ServedProcess]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, env=env, stdout=log, stderr=log
        )
        try:
            await _wait_answering(url, probe, process, log_path)
            yield ServedProcess(url, process.pid)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), timeout=20)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _wait_answering(
    url: str, probe: bytes, process: asyncio.subprocess.Process, log_path: Path
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient() as client:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{url} exited with code {process.returncode}; see {log_path}")
            try:
                response = await client.post(url, content=probe, headers=headers, timeout=2)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s; see {log_path}")
