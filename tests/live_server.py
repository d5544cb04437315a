"""A real `insighta serve` in a subprocess on a free 127.0.0.1 port, for browser and CLI tests.

It is started exactly as a user starts it (the installed console script), against the test
database, and the URLs are read from what `serve` prints, so the printed GraphiQL link is
tested too.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

STARTUP_SECONDS: Final = 30.0
GRAPHIQL_PREFIX: Final = "http://127.0.0.1:"


@dataclass(frozen=True, slots=True)
class LiveServer:
    base_url: str
    graphql_url: str
    graphiql_url: str  # the link `serve` prints, with ?token=
    admin_token: str
    log_path: Path  # the server's stderr: JSON log lines
    process: subprocess.Popen[bytes]
    data_dir: Path  # INSIGHTA_DATA_DIR, where `serve` records its URL

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_live_server(
    *,
    database_url: str,
    secret_key: str,
    directory: Path,
    env: dict[str, str] | None = None,
    own_process_group: bool = False,
) -> LiveServer:
    """`own_process_group`: the server and its children in a group of their own, which a test
    signals as a terminal's Ctrl-C signals its foreground group."""
    port = free_port()
    out_path, log_path = directory / "serve.out", directory / "serve.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "INSIGHTA_DATA_DIR": str(directory / "data"),
        # The suite drives background jobs itself; a second worker on the same database
        # would claim them first.
        "JOB_WORKER": "false",
        **(env or {}),
    }
    command = [str(Path(sys.executable).parent / "insighta"), "serve", "--port", str(port)]
    with out_path.open("wb") as out, log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=log,
            env=environment,
            process_group=0 if own_process_group else None,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        link = _printed_graphiql_link(out_path)
        if link is not None:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"insighta serve did not start (exit {process.poll()}):\n"
                f"{out_path.read_text()}\n{log_path.read_text()[-3000:]}"
            )
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    # `serve` prints the link as its start-up completes, a moment before the socket listens.
    _wait_until_healthy(base_url, process, deadline)
    return LiveServer(
        base_url=base_url,
        graphql_url=f"{base_url}/graphql",
        graphiql_url=link,
        admin_token=link.partition("?token=")[2],
        log_path=log_path,
        process=process,
        data_dir=Path(environment["INSIGHTA_DATA_DIR"]),
    )


def stop_live_server(server: LiveServer) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while True:
        try:
            with httpx.Client(timeout=2) as client:
                if client.get(f"{base_url}/healthz").status_code == 200:
                    return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"insighta serve at {base_url} never became healthy")
        time.sleep(0.05)


def _printed_graphiql_link(path: Path) -> str | None:
    for line in path.read_text().splitlines():
        if line.startswith(GRAPHIQL_PREFIX) and "?token=" in line:
            return line.strip()
    return None


async def graphql_data(
    server: LiveServer, query: str, variables: dict[str, Any], token: str
) -> Any:
    """POST an operation to a live server; its `data`, asserting there were no errors."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            server.graphql_url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]
