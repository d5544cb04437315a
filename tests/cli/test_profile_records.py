"""`insighta profiles create|get|delete` against a running server (offline name services)."""

import io
from pathlib import Path

import asyncpg
import orjson
import pytest
from rich.console import Console

from cli import profile_records
from cli.exit_codes import ExitCode
from services.auth.tokens import Role
from services.profiles.names import name_key
from tests.cli.conftest import RunCli
from tests.conftest import make_token


async def _count(pool: asyncpg.Pool, names: list[str]) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(
            "select count(*) from profiles where name_key = any($1::text[])",
            [name_key(name) for name in names],
        )
    return count


async def test_create_get_and_delete_one_profile(run_cli: RunCli, pool: asyncpg.Pool) -> None:
    created = run_cli("profiles", "create", "--name", "Cli Ella", "--json")
    assert created.exit_code == 0, created.output
    (creation,) = orjson.loads(created.stdout)
    assert creation["created"] is True
    assert creation["offline"] is True  # the live server has no base URLs: offline provider
    profile = creation["profile"]
    assert (profile["name"], profile["sampleSize"]) == ("Cli Ella", None)

    again = run_cli("profiles", "create", "--name", "CLI ELLA", "--name", "Cli Offline Bo")
    assert again.exit_code == 0, again.output
    assert "existing" in again.stdout
    assert "created (offline)" in again.stdout
    assert profile["id"] in again.stdout
    assert "1 created, 1 existing" in again.stderr
    assert "made up from the names" in again.stderr
    bo = run_cli("profiles", "create", "--name", "cli offline bo", "--json")
    assert orjson.loads(bo.stdout)[0]["offline"] is False  # stored already: not made now
    assert run_cli("profiles", "delete", orjson.loads(bo.stdout)[0]["profile"]["id"]).exit_code == 0

    shown = run_cli("profiles", "get", profile["id"])
    assert shown.exit_code == 0, shown.output
    assert "Cli Ella" in shown.stdout
    assert profile["countryName"] in shown.stdout

    deleted = run_cli("profiles", "delete", profile["id"])
    assert deleted.exit_code == 0, deleted.output
    assert f"deleted {profile['id']}" in deleted.stdout
    assert await _count(pool, ["Cli Ella"]) == 0

    missing = run_cli("profiles", "delete", profile["id"])
    assert missing.exit_code == ExitCode.BAD_INPUT
    assert "[NOT_FOUND]" in missing.stderr
    gone = run_cli("profiles", "get", profile["id"])
    assert gone.exit_code == ExitCode.BAD_INPUT


async def test_a_names_file_is_sent_in_chunks_of_100(
    run_cli: RunCli, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    names = [f"Cli Batch {index:03d}" for index in range(150)]
    path = tmp_path / "names.txt"
    path.write_text("\n".join([*names[:75], "", "   ", *names[75:]]) + "\n")
    result = run_cli("profiles", "create", "--names-file", str(path), "--json")
    assert result.exit_code == 0, result.output
    creations = orjson.loads(result.stdout)
    assert [creation["profile"]["name"] for creation in creations] == names
    assert await _count(pool, names) == 150
    for creation in creations:
        assert run_cli("profiles", "delete", creation["profile"]["id"]).exit_code == 0


async def test_a_names_file_shows_a_progress_bar_on_a_terminal(
    run_cli: RunCli, pool: asyncpg.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"Cli Bar {index:03d}" for index in range(150)]
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n")
    terminal = io.StringIO()
    monkeypatch.setattr(
        profile_records, "stderr", Console(file=terminal, force_terminal=True, width=100)
    )
    result = run_cli("profiles", "create", "--names-file", str(path), "--json")
    assert result.exit_code == 0, result.output
    shown = terminal.getvalue()
    assert "creating" in shown
    assert "150/150" in shown
    assert "creating" not in result.stdout  # the bar is on stderr; stdout is the JSON alone
    assert await _count(pool, names) == 150
    # Removed here, not by 150 more commands: the live server allows 300 requests a minute.
    async with pool.acquire() as conn:
        await conn.execute(
            "delete from profiles where name_key = any($1::text[])",
            [name_key(name) for name in names],
        )


def test_off_a_terminal_there_is_no_bar(run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("Cli Quiet\n")
    result = run_cli("profiles", "create", "--names-file", str(path))
    assert result.exit_code == 0, result.output
    assert "creating" not in result.stderr
    profile_id = result.stdout.split()[-1]
    assert run_cli("profiles", "delete", profile_id).exit_code == 0


async def test_names_are_printed_inert(run_cli: RunCli) -> None:
    result = run_cli("profiles", "create", "--name", "Evil\x1b[31m [bold]Name")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "Evil\\x1b[31m [bold]Name" in result.stdout
    profile_id = result.stdout.split()[-1]
    assert run_cli("profiles", "delete", profile_id).exit_code == 0


def test_refusals_use_the_exit_code_table(run_cli: RunCli, tmp_path: Path) -> None:
    analyst = make_token(Role.ANALYST)
    refused = run_cli("profiles", "create", "--name", "Not Allowed", token=analyst)
    assert refused.exit_code == ExitCode.FORBIDDEN
    assert "[FORBIDDEN]" in refused.stderr
    assert run_cli("profiles", "create").exit_code == ExitCode.USAGE
    missing = run_cli("profiles", "create", "--names-file", str(tmp_path / "none.txt"))
    assert missing.exit_code == ExitCode.USAGE
    bad = run_cli("profiles", "get", "not-a-uuid")
    assert bad.exit_code == ExitCode.BAD_INPUT
