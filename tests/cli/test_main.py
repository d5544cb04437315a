"""`insighta serve` prints a link a browser can open, even when it listens on every address;
`insighta ingest` reports a server it cannot reach; `insighta token --org` and `insighta org`
name only existing organisations and say whose they are; a bad setting stops any command with
one message naming it; `insighta bench` forwards to the benchmark in a source checkout."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli import bench as cli_bench
from cli.bench import CHECKOUT, bench_command
from cli.exit_codes import ExitCode
from cli.main import app
from cli.serve import browsable
from services.auth.tokens import verify_token
from tests.conftest import TEST_SECRET, GraphQLCall
from tests.graph.accounts.helpers import sign_up, unique_email
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
    assert browsable(host) == shown


@pytest.mark.parametrize("hours", ["0", "-1", "inf", "nan", "1e12"])
def test_a_token_lifetime_that_is_not_a_positive_time_is_a_usage_error(hours: str) -> None:
    env = {"SECRET_KEY": TEST_SECRET.reveal()}
    result = CliRunner().invoke(app, ["token", "--role", "analyst", "--ttl-hours", hours], env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ExitCode.USAGE
    assert "--ttl-hours" in result.output


def _insighta(database_dsn: str, tmp_path: Path, *args: str) -> Result:
    env = {
        "DATABASE_URL": database_dsn,
        "SECRET_KEY": TEST_SECRET.reveal(),
        "INSIGHTA_DATA_DIR": str(tmp_path),
        "COLUMNS": "400",
    }
    return CliRunner().invoke(app, list(args), env=env)


async def _run(database_dsn: str, tmp_path: Path, *args: str) -> Result:
    # The command runs its own event loop (asyncio.run), so not on this test's.
    return await asyncio.to_thread(_insighta, database_dsn, tmp_path, *args)


def _token_org(result: Result) -> object:
    token = result.stdout.strip().splitlines()[-1]
    return verify_token(TEST_SECRET, token).organisation


async def test_a_token_for_a_squatted_organisation_needs_the_operator_to_confirm_it(
    gql: GraphQLCall, database_dsn: str, tmp_path: Path
) -> None:
    customer = f"Umbrella {uuid.uuid4().hex[:8]}"
    squatter = await sign_up(gql, email=unique_email("squatter"), organisation_name=customer)
    refused = await _run(
        database_dsn, tmp_path, "token", "--role", "recruiter", "--org", squatter.organisation
    )
    assert refused.exit_code == ExitCode.BAD_INPUT, refused.output
    assert "eyJ" not in refused.stdout  # no token printed
    for shown in (customer, squatter.email, "self-service sign-up", "--confirm-self-service"):
        assert shown in refused.stderr, shown
    confirmed = await _run(
        database_dsn,
        tmp_path,
        "token",
        "--role",
        "recruiter",
        "--org",
        squatter.organisation,
        "--confirm-self-service",
    )
    assert confirmed.exit_code == ExitCode.OK, confirmed.output
    assert _token_org(confirmed) == squatter.organisation
    assert squatter.email in confirmed.stderr  # still told whose organisation it is


async def test_a_token_for_an_organisation_that_does_not_exist_is_refused(
    database_dsn: str, tmp_path: Path
) -> None:
    slug = f"nobody-{uuid.uuid4().hex[:8]}"
    result = await _run(database_dsn, tmp_path, "token", "--role", "admin", "--org", slug)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "insighta org create" in result.stderr
    assert result.stdout == ""


async def test_an_operator_creates_an_organisation_then_issues_tokens_for_it(
    database_dsn: str, tmp_path: Path
) -> None:
    slug = f"wayne-{uuid.uuid4().hex[:8]}"
    created = await _run(database_dsn, tmp_path, "org", "create", slug, "--name", "Wayne [b]Co")
    assert created.exit_code == ExitCode.OK, created.output
    assert "Wayne [b]Co" in created.stdout  # printed as text, not Rich markup
    token = await _run(database_dsn, tmp_path, "token", "--role", "recruiter", "--org", slug)
    assert token.exit_code == ExitCode.OK, token.output
    assert _token_org(token) == slug
    assert "created by an operator" in token.stderr
    shown = await _run(database_dsn, tmp_path, "org", "show", slug)
    assert shown.exit_code == ExitCode.OK, shown.output
    assert "created by an operator" in shown.stdout


async def test_creating_a_taken_slug_says_who_holds_it(
    gql: GraphQLCall, database_dsn: str, tmp_path: Path
) -> None:
    squatter = await sign_up(gql, email=unique_email("first"), organisation_name="Stark Labs")
    result = await _run(
        database_dsn, tmp_path, "org", "create", squatter.organisation, "--name", "Stark"
    )
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert squatter.email in result.stderr
    assert "self-service sign-up" in result.stderr


@pytest.mark.parametrize("slug", ["Acme", "acme--x", "acme-", "default", "acme_x", "a" * 49])
def test_a_slug_that_sign_up_could_not_make_is_refused(
    slug: str, database_dsn: str, tmp_path: Path
) -> None:
    result = _insighta(database_dsn, tmp_path, "org", "create", slug, "--name", "X")
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "slug" in result.stderr


@pytest.mark.parametrize(
    ("command", "name", "value"),
    [
        (["token", "--role", "admin"], "CACHE_TTL_SECONDS", "abc"),
        (["migrate"], "INGESTION_WORKERS", "-1"),
        (["query", "{ __typename }"], "MAX_UPLOAD_BYTES", str(2**31)),  # GraphQL Int cap
        (["org", "show", "acme"], "GRAPHQL_INTROSPECTION", "maybe"),
    ],
)
def test_a_bad_setting_stops_a_command_with_one_message_naming_it(
    command: list[str], name: str, value: str, tmp_path: Path
) -> None:
    env = {name: value, "INSIGHTA_DATA_DIR": str(tmp_path), "INSIGHTA_TOKEN": "t"}
    result = CliRunner().invoke(app, command, env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith(f"error: {name} must"), result.stderr
    assert result.stdout == ""


def test_insighta_serve_with_bad_settings_exits_before_listening_without_a_traceback(
    tmp_path: Path,
) -> None:
    bad = {"CACHE_TTL_SECONDS": "abc", "MAX_UPLOAD_BYTES": str(2**31), "WEB_CONCURRENCY": "0"}
    env = {**os.environ, **bad, "INSIGHTA_DATA_DIR": str(tmp_path)}
    insighta = Path(sys.executable).with_name("insighta")
    result = subprocess.run(
        [str(insighta), "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "Traceback" not in result.stderr
    named = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("error:")]
    assert sorted(named) == sorted(bad)
    assert "docs/configuration.md" in result.stderr
    assert not any(tmp_path.iterdir())  # no embedded database, no secret key: nothing started


def test_insighta_bench_forwards_every_argument_to_the_side_by_side_benchmark() -> None:
    command = bench_command(CHECKOUT, ["--profiles", "1000", "--quick", "--help"])
    assert command == [
        sys.executable,
        "-m",
        "bench.peers",
        "--profiles",
        "1000",
        "--quick",
        "--help",
    ]


def test_insighta_bench_help_is_the_benchmarks_own(capfd: pytest.CaptureFixture[str]) -> None:
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == ExitCode.OK
    assert "usage: python -m bench.peers" in capfd.readouterr().out


def test_insighta_bench_outside_a_source_checkout_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed wheel has no bench/ beside cli/ (the product never imports it).
    monkeypatch.setattr(cli_bench, "CHECKOUT", tmp_path)
    result = CliRunner().invoke(app, ["bench", "--quick"])
    assert result.exit_code == ExitCode.USAGE
    assert "source checkout" in result.output
