"""Run `insighta` client commands in-process against a real server (`live_server`)."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from tests.conftest import make_token
from tests.live_server import LiveServer


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """Commands run in this process (CliRunner) configure the root logger for a terminal that
    is gone once they return: later log lines would go to a closed stream, at INFO."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class RunCli(Protocol):
    def __call__(
        self,
        *args: str,
        token: str | None = ...,
        env: dict[str, str | None] | None = ...,
        input: str | None = ...,
    ) -> Result: ...


@pytest.fixture
def run_cli(live_server: LiveServer, tmp_path: Path) -> RunCli:
    """`insighta ARGS` with INSIGHTA_URL at the live server, an admin INSIGHTA_TOKEN unless
    `token=` says otherwise (None: no token at all), and a HOME and data dir of its own."""
    admin = make_token()

    def run(
        *args: str,
        token: str | None = admin,
        env: dict[str, str | None] | None = None,
        input: str | None = None,
    ) -> Result:
        environment: dict[str, str | None] = {
            "INSIGHTA_URL": live_server.graphql_url,
            "INSIGHTA_TOKEN": token,
            "HOME": str(tmp_path / "home"),
            "INSIGHTA_DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": None,
            "COLUMNS": "200",
            **(env or {}),
        }
        return CliRunner().invoke(app, list(args), env=environment, input=input)

    return run


@pytest.fixture
def credentials_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".insighta" / "credentials.json"
