"""`serve` records its URL in the data dir; client commands find that dir from any folder of the
project (or through INSIGHTA_DATA_DIR) and reach the server without INSIGHTA_URL."""

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from cli.data_dir import find_data_dir, record_server, recorded_server_url
from cli.exit_codes import ExitCode
from cli.main import app
from tests.conftest import TEST_SECRET, make_token
from tests.live_server import LiveServer

NO_CLIENT_SETTINGS: dict[str, str | None] = {
    "INSIGHTA_URL": None,
    "INSIGHTA_TOKEN": None,
    "INSIGHTA_DATA_DIR": None,
    "SECRET_KEY": None,
    "COLUMNS": "200",
}


def _project(tmp_path: Path, live_server: LiveServer) -> Path:
    """A project whose `.insighta/` is the live server's: its record and its key."""
    data_dir = tmp_path / "project" / ".insighta"
    data_dir.mkdir(parents=True)
    shutil.copy(live_server.data_dir / "server.json", data_dir / "server.json")
    (data_dir / "secret_key").write_text(TEST_SECRET.reveal())
    return data_dir.parent


def test_serve_records_the_url_it_listens_on(live_server: LiveServer) -> None:
    record = orjson.loads((live_server.data_dir / "server.json").read_bytes())
    assert record["url"] == live_server.graphql_url
    assert record["pid"] == live_server.process.pid


def test_client_commands_deep_in_the_project_reach_the_recorded_server(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = _project(tmp_path, live_server) / "docs" / "notes"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    env = {**NO_CLIENT_SETTINGS, "HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, ["whoami", "--json"], env=env)
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.stdout)
    assert shown["url"] == live_server.graphql_url
    assert shown["urlSource"].startswith("recorded by serve")
    assert shown["tokenSource"].startswith("local admin token")
    query = CliRunner().invoke(app, ["query", "women", "--first", "1", "--json"], env=env)
    assert query.exit_code == 0, query.output


def test_insighta_data_dir_names_the_data_dir_from_anywhere(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        **NO_CLIENT_SETTINGS,
        "HOME": str(tmp_path / "home"),
        "INSIGHTA_DATA_DIR": str(live_server.data_dir),
        "INSIGHTA_TOKEN": make_token(),
    }
    result = CliRunner().invoke(app, ["whoami", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["url"] == live_server.graphql_url


def test_a_missing_token_hint_names_insighta_data_dir(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        **NO_CLIENT_SETTINGS,
        "HOME": str(tmp_path / "home"),
        "INSIGHTA_URL": live_server.graphql_url,
    }
    result = CliRunner().invoke(app, ["query", "women"], env=env)
    assert result.exit_code == ExitCode.UNAUTHENTICATED
    assert "INSIGHTA_DATA_DIR" in result.stderr
    assert ".insighta/" in result.stderr


def test_insighta_url_still_wins_over_the_record(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_project(tmp_path, live_server))
    env = {
        **NO_CLIENT_SETTINGS,
        "HOME": str(tmp_path / "home"),
        "INSIGHTA_URL": "http://127.0.0.1:1/graphql",
    }
    result = CliRunner().invoke(app, ["whoami"], env=env)
    assert result.exit_code == ExitCode.UNREACHABLE
    assert "127.0.0.1:1" in result.stderr


def test_the_home_credentials_folder_is_not_a_data_dir(tmp_path: Path) -> None:
    home_folder = tmp_path / ".insighta"
    home_folder.mkdir()
    (home_folder / "credentials.json").write_text("{}")
    assert find_data_dir({}, tmp_path / "somewhere") is None
    (home_folder / "secret_key").write_text("key")
    assert find_data_dir({}, tmp_path / "somewhere" / "deeper") == home_folder
    named = {"INSIGHTA_DATA_DIR": "elsewhere"}
    assert find_data_dir(named, tmp_path) == tmp_path / "elsewhere"


def test_a_record_round_trips_and_a_broken_one_is_ignored(tmp_path: Path) -> None:
    record_server(tmp_path / "data", "http://[::1]:8000/graphql")
    assert recorded_server_url(tmp_path / "data") == "http://[::1]:8000/graphql"
    assert list((tmp_path / "data").iterdir()) == [tmp_path / "data" / "server.json"]
    (tmp_path / "data" / "server.json").write_text("{not json")
    assert recorded_server_url(tmp_path / "data") is None
    assert recorded_server_url(tmp_path / "missing") is None


def test_a_record_left_by_a_stopped_server_is_ignored(tmp_path: Path) -> None:
    # A stopped local server must not outrank a stored login to another server.
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    (tmp_path / "server.json").write_bytes(
        orjson.dumps({"url": "http://127.0.0.1:8123/graphql", "pid": dead_pid})
    )
    assert recorded_server_url(tmp_path) is None
