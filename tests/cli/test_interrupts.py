"""Ctrl-C ends every process without a traceback: the server and its parse processes, and the
server-side commands. A terminal's Ctrl-C sends SIGINT to its whole foreground process group,
so the tests put real processes in a group of their own and signal the group."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.exit_codes import ExitCode
from cli.main import app
from tests.conftest import TEST_SECRET, make_token
from tests.live_server import start_live_server

INSIGHTA = Path(sys.executable).parent / "insighta"


def _wait_for(predicate: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    """Children of every thread of `pid` (parse processes are started from worker threads)."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return [int(child) for task in tasks for child in task.read_text().split()]


def _ended(pid: int) -> Callable[[], bool]:
    return lambda: not Path(f"/proc/{pid}").exists()


def test_ctrl_c_stops_the_server_and_its_parse_processes_without_a_traceback(
    database_dsn: str, tmp_path: Path
) -> None:
    server = start_live_server(
        database_url=database_dsn,
        secret_key=TEST_SECRET.reveal(),
        directory=tmp_path,
        own_process_group=True,
    )
    try:
        # An upload starts a parse process, which stays for the next job.
        csv = tmp_path / "people.csv"
        csv.write_text(f"name,gender,age,country_id\nInt{uuid.uuid4().hex[:10]} Ada,female,30,NG\n")
        env = {"INSIGHTA_URL": server.graphql_url, "INSIGHTA_TOKEN": make_token()}
        uploaded = CliRunner().invoke(app, ["ingest", str(csv)], env=env)
        assert uploaded.exit_code == 0, uploaded.output
        _wait_for(lambda: _children(server.process.pid), "a parse process")
        parse_processes = _children(server.process.pid)
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
        for pid in parse_processes:
            _wait_for(_ended(pid), f"parse process {pid} to end")
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
    output = server.log_path.read_text() + (tmp_path / "serve.out").read_text()
    assert "Traceback" not in output
    assert "KeyboardInterrupt" not in output


@dataclass(frozen=True, slots=True)
class SilentDatabase:
    dsn: str
    connected: threading.Event  # set once a client waits on it


@pytest.fixture
def silent_database() -> Iterator[SilentDatabase]:
    """A DSN whose server accepts connections and never answers: start-up waits on it."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop, connected = threading.Event(), threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield SilentDatabase(f"postgresql://postgres@127.0.0.1:{port}/postgres", connected)
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize("command", [["migrate"], ["seed"]])
def test_ctrl_c_during_start_up_is_an_interruption_not_a_traceback(
    silent_database: SilentDatabase, tmp_path: Path, command: list[str]
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": silent_database.dsn,
        "INSIGHTA_DATA_DIR": str(tmp_path / "data"),
        "JOB_WORKER": "false",
    }
    process = subprocess.Popen(
        [str(INSIGHTA), *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,
    )
    # Ctrl-C while the command waits on the database.
    assert silent_database.connected.wait(timeout=30), "the command never reached the database"
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, err.decode()
    assert b"Traceback" not in out + err
    assert b"interrupted" in err
