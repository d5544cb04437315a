"""`insighta ingest` against a real server: the summary, data printed inert, and the exit codes
of cli/exit_codes.py for a refused upload and for a server that is not there."""

import uuid
from pathlib import Path

from typer.testing import CliRunner

from cli.exit_codes import HINTS, ExitCode
from cli.main import app
from services.auth.tokens import Role
from tests.cli.conftest import RunCli
from tests.conftest import make_token
from tests.live_server import free_port

HEADER = "name,gender,age,country_id\n"


def _csv(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows)
    return path


def _prefix() -> str:
    return f"Cli{uuid.uuid4().hex[:10]} "


def test_ingest_uploads_follows_and_summarises(run_cli: RunCli, tmp_path: Path) -> None:
    prefix = _prefix()
    path = _csv(tmp_path, "people.csv", f"{prefix}Ada,female,30,NG\n{prefix}Bo,male,abc,KE\n")
    result = run_cli("ingest", str(path))
    assert result.exit_code == ExitCode.OK, result.output
    assert "people.csv: COMPLETED" in result.stdout
    assert "invalid_age" in result.stdout
    assert "abc" in result.stdout  # the skipped row's value


def test_cells_and_file_names_from_the_csv_reach_the_terminal_inert(
    run_cli: RunCli, tmp_path: Path
) -> None:
    prefix = _prefix()
    rows = f"{prefix}Ada,female,\x1b[31m30\x1b]0;owned\x07,NG\n{prefix}Bo,male,[/],KE\n"
    path = _csv(tmp_path, "[bold]people\x1b[2J.csv", rows)
    result = run_cli("ingest", str(path))
    assert result.exit_code == ExitCode.OK, result.output
    for control in ("\x1b", "\x07"):
        assert control not in result.output
    assert "\\x1b[31m30\\x1b]0;owned\\x07" in result.stdout  # shown, as escapes
    assert "[/]" in result.stdout
    assert "[bold]people\\x1b[2J.csv: COMPLETED" in result.stdout


def test_an_upload_without_a_token_is_unauthenticated(run_cli: RunCli, tmp_path: Path) -> None:
    path = _csv(tmp_path, "people.csv", f"{_prefix()}Ada,female,30,NG\n")
    result = run_cli("ingest", str(path), token=None)
    assert result.exit_code == ExitCode.UNAUTHENTICATED, result.output
    assert "error: [UNAUTHENTICATED]" in result.stderr
    assert "Token used: none" in result.stderr


def test_an_upload_by_an_analyst_is_forbidden(run_cli: RunCli, tmp_path: Path) -> None:
    path = _csv(tmp_path, "people.csv", f"{_prefix()}Ada,female,30,NG\n")
    result = run_cli("ingest", str(path), token=make_token(Role.ANALYST))
    assert result.exit_code == ExitCode.FORBIDDEN, result.output
    assert "error: [FORBIDDEN]" in result.stderr
    assert HINTS[ExitCode.FORBIDDEN] in result.stderr


def test_a_server_that_is_not_there_is_one_line_and_unreachable_not_a_traceback(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, "people.csv", "Ada Obi,female,30,NG\n")
    url = f"http://127.0.0.1:{free_port()}/graphql"
    env = {"INSIGHTA_URL": url, "INSIGHTA_TOKEN": "t", "HOME": str(tmp_path), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["ingest", str(path)], env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ExitCode.UNREACHABLE
    message, hint = result.stderr.splitlines()
    assert message == (
        f"error: cannot reach Insighta at {url}: "
        "nothing answered (connection refused or unknown host)"
    )
    assert hint == HINTS[ExitCode.UNREACHABLE]
    assert "Traceback" not in result.output
    assert "ConnectError" not in result.output
