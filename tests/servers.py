"""Real `insighta serve` processes for tests that need a socket or a process to kill."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET
from tests.polling import eventually

INSIGHTA = Path(sys.executable).with_name("insighta")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One server process on a free port; `kill()` is SIGKILL, as a crash would be.

    `dsn` None: the server starts its embedded PostgreSQL in `data_dir`. `args` go after
    `serve --port N` (`--workers 2`)."""

    def __init__(
        self, dsn: str | None, data_dir: Path, log: Path, *, args: Sequence[str] = (), **env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.log = log
        environment = {
            **os.environ,
            "DATABASE_URL": dsn or "",
            "SECRET_KEY": TEST_SECRET.reveal(),
            "INSIGHTA_DATA_DIR": str(data_dir),
            **env,
        }
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(INSIGHTA), "serve", "--port", str(self.port), *args],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its parse processes can be cleaned up as a group
            )

    async def ready(self) -> "Server":
        async def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                async with httpx.AsyncClient() as http:
                    response = await http.get(self.url.replace("/graphql", "/healthz"))
            except httpx.TransportError:
                return False
            return response.status_code == 200

        await eventually(healthy, bool, message="the server to answer /healthz", within=60)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            await asyncio.to_thread(self.process.wait, 30)
        # Parse processes of a killed server find their parent gone and exit; make sure.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@asynccontextmanager
async def running_server(
    dsn: str | None, data_dir: Path, log: Path, *, args: Sequence[str] = (), **env: str
) -> AsyncIterator[Server]:
    server = Server(dsn, data_dir, log, args=args, **env)
    try:
        yield await server.ready()
    finally:
        await server.stop()
