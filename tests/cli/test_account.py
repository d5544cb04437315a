"""`insighta login`, `logout`, `whoami`, and where client commands get their URL and token."""

import contextlib
import os
import pty
import select
import stat
import time
from pathlib import Path

import orjson

from cli.client import resolve_endpoint
from cli.credentials import StoredLogin, load_login, save_login
from cli.exit_codes import ExitCode
from services.auth.tokens import Role
from services.platform.settings import DEFAULT_CLIENT_URL, ClientSettings, Settings
from tests.cli.conftest import RunCli
from tests.conftest import TEST_SECRET, make_token
from tests.live_server import LiveServer
from tests.servers import INSIGHTA


def test_login_checks_the_token_and_stores_it_for_the_owner_only(
    run_cli: RunCli, credentials_path: Path, live_server: LiveServer
) -> None:
    token = make_token(Role.ANALYST)
    result = run_cli("login", "--url", live_server.graphql_url, "--token", token, token=None)
    assert result.exit_code == 0, result.output
    assert f"logged in to {live_server.graphql_url} as test-analyst (analyst)" in result.stdout
    assert stat.S_IMODE(credentials_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_path.parent.stat().st_mode) == 0o700
    assert load_login(credentials_path) == StoredLogin(url=live_server.graphql_url, token=token)

    # The stored login now serves every client command, even with no INSIGHTA_URL set.
    whoami = run_cli("whoami", "--json", token=None, env={"INSIGHTA_URL": None})
    assert whoami.exit_code == 0, whoami.output
    body = orjson.loads(whoami.stdout)
    assert (body["subject"], body["role"], body["url"]) == (
        "test-analyst",
        "analyst",
        live_server.graphql_url,
    )
    assert body["tokenSource"].startswith("stored login")

    assert run_cli("logout").exit_code == 0
    assert not credentials_path.exists()


def test_login_reads_the_token_from_a_hidden_prompt(
    run_cli: RunCli, credentials_path: Path
) -> None:
    token = make_token(Role.ADMIN)
    result = run_cli("login", token=None, input=f"{token}\n")
    assert result.exit_code == 0, result.output
    assert token not in result.output
    assert load_login(credentials_path) is not None


def test_ctrl_c_at_the_token_prompt_is_an_interruption(tmp_path: Path) -> None:
    """On a real terminal: Ctrl-C there reaches the process as SIGINT."""
    env = {**os.environ, "HOME": str(tmp_path), "INSIGHTA_URL": "http://127.0.0.1:1/graphql"}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: `insighta login` with the pty as its controlling terminal
        os.execve(str(INSIGHTA), [str(INSIGHTA), "login"], env)
    shown = b""
    deadline = time.monotonic() + 60
    while b"Token:" not in shown and time.monotonic() < deadline:
        if select.select([terminal], [], [], 1)[0]:
            shown += os.read(terminal, 1024)
    os.write(terminal, b"\x03")
    with contextlib.suppress(OSError):  # the pty closes when the child exits
        while chunk := os.read(terminal, 1024):
            shown += chunk
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == ExitCode.INTERRUPTED, shown
    assert b"Traceback" not in shown
    assert not (tmp_path / ".insighta").exists()


def test_no_answer_at_the_token_prompt_is_no_token(run_cli: RunCli, credentials_path: Path) -> None:
    result = run_cli("login", token=None, input="")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "error: no token given" in result.stderr
    assert not credentials_path.exists()


def test_an_empty_token_option_is_no_token(run_cli: RunCli, credentials_path: Path) -> None:
    result = run_cli("login", "--token", "", token=None, input="not read\n")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "error: no token given" in result.stderr
    assert not credentials_path.exists()


def test_login_with_a_bad_token_stores_nothing(run_cli: RunCli, credentials_path: Path) -> None:
    result = run_cli("login", "--token", "not-a-token", token=None)
    assert result.exit_code == ExitCode.UNAUTHENTICATED
    assert "error: [UNAUTHENTICATED]" in result.stderr
    assert not credentials_path.exists()


def test_whoami_names_the_server_the_identity_and_the_token_source(run_cli: RunCli) -> None:
    token = make_token(Role.RECRUITER, organisation="acme")
    result = run_cli("whoami", token=token)
    assert result.exit_code == 0, result.output
    assert "test-recruiter (recruiter, organisation acme)" in result.stdout
    assert "INSIGHTA_TOKEN" in result.stdout


def test_without_a_token_a_local_server_gets_an_admin_token_from_the_data_dir(
    run_cli: RunCli, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text(TEST_SECRET.reveal())
    result = run_cli("whoami", "--json", token=None)
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout)
    assert body["role"] == "admin"
    assert body["tokenSource"].startswith("local admin token")


def test_a_stored_login_is_not_sent_to_another_server(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    save_login(path, StoredLogin(url="http://127.0.0.1:8000/graphql", token="stored"))
    client = ClientSettings(url="https://insighta.example/graphql", credentials_path=path)
    endpoint = resolve_endpoint(client, Settings(secret_key=TEST_SECRET, data_dir=tmp_path))
    assert endpoint.token is None, "neither the stored token nor a local admin token goes out"
    stored = resolve_endpoint(ClientSettings(credentials_path=path), Settings(data_dir=tmp_path))
    assert (stored.url, stored.token) == ("http://127.0.0.1:8000/graphql", "stored")


def test_no_configuration_means_the_local_default_url(tmp_path: Path) -> None:
    endpoint = resolve_endpoint(
        ClientSettings(credentials_path=tmp_path / "none.json"), Settings(data_dir=tmp_path)
    )
    assert endpoint.url == DEFAULT_CLIENT_URL
    assert endpoint.token is None
    assert not (tmp_path / "secret_key").exists(), "a client must never create a server key"
