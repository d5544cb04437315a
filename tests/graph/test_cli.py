"""`insighta serve` prints a link a browser can open, even when it listens on every address;
`insighta ingest` reports a server it cannot reach."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import _browsable, app
from graph.commands.exit_codes import ExitCode
from tests.conftest import TEST_SECRET
from tests.live_server import free_port


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("0.0.0.0", "127.0.0.1"),
        ("::", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("myhost", "myhost"),
    ],
)
def test_the_graphiql_link_names_an_address_a_browser_can_open(host: str, shown: str) -> None:
    assert _browsable(host) == shown


def test_ingest_to_a_server_that_is_not_there_is_unreachable_not_a_traceback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,gender,age,country_id\nAda Obi,female,30,NG\n")
    url = f"http://127.0.0.1:{free_port()}/graphql"
    env = {"INSIGHTA_URL": url, "INSIGHTA_TOKEN": "t", "HOME": str(tmp_path), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["ingest", str(path)], env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ExitCode.UNREACHABLE
    assert f"cannot reach Insighta at {url}" in result.output


@pytest.mark.parametrize("hours", ["0", "-1", "inf", "nan", "1e12"])
def test_a_token_lifetime_that_is_not_a_positive_time_is_a_usage_error(hours: str) -> None:
    env = {"SECRET_KEY": TEST_SECRET.reveal()}
    result = CliRunner().invoke(app, ["token", "--role", "analyst", "--ttl-hours", hours], env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ExitCode.USAGE
    assert "--ttl-hours" in result.output
