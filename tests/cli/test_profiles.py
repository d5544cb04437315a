"""`insighta query` and `insighta export` against a running server."""

import asyncio
import csv
import io
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from rich.console import Console
from rich.text import Text

from cli.exit_codes import ExitCode
from cli.profiles import _RecordCounter
from db import profiles as profiles_db
from services.auth.tokens import Role
from services.platform.ids import uuid7
from services.profiles.names import name_key
from tests.cli.conftest import RunCli
from tests.conftest import TEST_SECRET, GraphQLCall, make_token
from tests.live_server import LiveServer, free_port

TOTAL = """
query Total($query: String, $filter: ProfileFilter) {
  profiles(query: $query, filter: $filter, first: 1) { totalCount }
}
"""


def _access_lines(server: LiveServer) -> list[dict[str, Any]]:
    return [
        orjson.loads(line) for line in server.log_lines() if '"logger":"server.access_log"' in line
    ]


async def _total(gql: GraphQLCall, **variables: Any) -> int:
    total: int = (await gql(TOTAL, variables))["data"]["profiles"]["totalCount"]
    return total


async def test_query_prints_the_filter_the_total_and_a_table(
    run_cli: RunCli, gql: GraphQLCall, demo_profiles: None, live_server: LiveServer
) -> None:
    result = run_cli("query", "young males from kenya", "--first", "3")
    assert result.exit_code == 0, result.output
    # The server writes a JSON access line naming the operation and the user (just after
    # the response has gone, so it may land a moment after the command returns).
    expected = {"operation": "CliProfiles", "user": "test-admin", "status": 200}
    deadline = time.monotonic() + 5
    while not any(expected.items() <= line.items() for line in _access_lines(live_server)):
        assert time.monotonic() < deadline, "no access-log line for the query"
        await asyncio.sleep(0.02)
    total = await _total(gql, query="young males from kenya")
    assert "gender=MALE countryId=KE minAge=16 maxAge=24" in result.stdout
    assert f"total     {total} profiles, showing 3" in result.stdout
    assert "Kenya (KE)" in result.stdout
    assert "next page: add --after " in result.stdout


async def test_query_json_is_for_scripts(
    run_cli: RunCli, gql: GraphQLCall, demo_profiles: None
) -> None:
    result = run_cli("query", "women from nigeria", "--first", "5", "--sort", "age:asc", "--json")
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout)
    assert body["totalCount"] == await _total(gql, query="women from nigeria")
    ages = [profile["age"] for profile in body["profiles"]]
    assert len(ages) == 5
    assert ages == sorted(ages)
    assert {profile["countryId"] for profile in body["profiles"]} == {"NG"}
    assert body["filter"]["gender"] == "FEMALE"
    assert body["pageInfo"]["hasNextPage"] is True


async def test_query_takes_filter_options_with_or_without_text(
    run_cli: RunCli, gql: GraphQLCall, demo_profiles: None
) -> None:
    result = run_cli("query", "--country", "gh", "--age-group", "senior", "--json")
    assert result.exit_code == 0, result.output
    expected = await _total(gql, filter={"countryId": "GH", "ageGroup": "SENIOR"})
    assert orjson.loads(result.stdout)["totalCount"] == expected
    both = run_cli("query", "women", "--country", "GH", "--json")
    assert orjson.loads(both.stdout)["filter"]["gender"] == "FEMALE"


def test_query_reports_words_it_did_not_use(run_cli: RunCli) -> None:
    result = run_cli("query", "happy women from kenya", "--first", "1")
    assert result.exit_code == 0, result.output
    assert "unused    happy" in result.stdout
    as_json = run_cli("query", "women named Ada", "--first", "1", "--json")
    assert orjson.loads(as_json.stdout)["unmatched"] == ["named", "Ada"]


def test_query_names_a_place_that_is_no_country(run_cli: RunCli) -> None:
    result = run_cli("query", "men from Narnia")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "no country is called 'Narnia'" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (("query", "purple elephants"), "UNINTERPRETABLE_QUERY", ExitCode.BAD_INPUT),
        (("query", "children above 60"), "BAD_USER_INPUT", ExitCode.BAD_INPUT),
        (("query", "men from Narnia"), "BAD_USER_INPUT", ExitCode.BAD_INPUT),
        (("query", "Narnian women"), "BAD_USER_INPUT", ExitCode.BAD_INPUT),
        (("export", "-q", "women in Narnia", "-o", "x.csv"), "BAD_USER_INPUT", 6),
        (("query", "--country", "ZZ"), "BAD_USER_INPUT", ExitCode.BAD_INPUT),
        (("query", "women", "--first", "500"), "BAD_USER_INPUT", ExitCode.BAD_INPUT),
        (("export", "-q", "purple elephants", "-o", "x.csv"), "UNINTERPRETABLE_QUERY", 6),
    ],
)
def test_refused_requests_say_why_with_their_code_and_no_traceback(
    run_cli: RunCli, args: tuple[str, ...], code: str, exit_code: int
) -> None:
    result = run_cli(*args)
    assert result.exit_code == exit_code
    assert f"error: [{code}]" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_bad_sort_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("query", "women", "--sort", "height:up")
    assert result.exit_code == ExitCode.USAGE
    assert "FIELD[:asc|desc]" in result.stderr


def test_no_token_is_unauthenticated_with_a_hint(run_cli: RunCli) -> None:
    result = run_cli("query", "women", token=None)
    assert result.exit_code == ExitCode.UNAUTHENTICATED
    assert "error: [UNAUTHENTICATED]" in result.stderr
    assert "insighta login" in result.stderr


def test_an_expired_token_is_unauthenticated(run_cli: RunCli) -> None:
    result = run_cli("query", "women", token=make_token(ttl=-60))
    assert result.exit_code == ExitCode.UNAUTHENTICATED
    assert "expired" in result.stderr


def test_a_role_that_may_not_read_profiles_is_forbidden(run_cli: RunCli) -> None:
    result = run_cli("query", "women", token=make_token(Role.RECRUITER, organisation="acme"))
    assert result.exit_code == ExitCode.FORBIDDEN
    assert "error: [FORBIDDEN]" in result.stderr


def test_a_server_that_is_not_there_is_unreachable(run_cli: RunCli) -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"
    result = run_cli("query", "women", env={"INSIGHTA_URL": url})
    assert result.exit_code == ExitCode.UNREACHABLE
    assert f"cannot reach Insighta at {url}" in result.stderr
    assert "Traceback" not in result.output


def test_a_url_that_is_not_graphql_says_so(run_cli: RunCli, live_server: Any) -> None:
    result = run_cli("query", "women", env={"INSIGHTA_URL": f"{live_server.base_url}/nope"})
    assert result.exit_code == ExitCode.FAILED
    assert "not an Insighta GraphQL response" in result.stderr


@pytest.mark.parametrize("url", ["127.0.0.1:8000/graphql", "ftp://x/graphql"])
@pytest.mark.parametrize("token", [None, "a-token"])
def test_a_url_that_is_not_http_is_not_an_insighta_endpoint(
    run_cli: RunCli, url: str, token: str | None
) -> None:
    result = run_cli("query", "women", token=token, env={"INSIGHTA_URL": url})
    assert result.exit_code == ExitCode.FAILED, result.output
    assert f"error: {url} is not a usable URL" in result.stderr
    assert "INSIGHTA_URL must name the server's /graphql endpoint" in result.stderr


def test_an_unparseable_url_is_an_error_not_a_traceback(run_cli: RunCli) -> None:
    url = "http://[bad/graphql"
    # With a local key and no token the client first asks whether the URL is on this machine.
    env: dict[str, str | None] = {"INSIGHTA_URL": url, "SECRET_KEY": TEST_SECRET.reveal()}
    result = run_cli("query", "women", token=None, env=env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == ExitCode.UNREACHABLE
    assert f"error: cannot reach Insighta at {url}" in result.stderr


async def test_export_writes_every_matching_profile_to_a_file(
    run_cli: RunCli, gql: GraphQLCall, demo_profiles: None, tmp_path: Path
) -> None:
    out = tmp_path / "seniors.csv"
    result = run_cli("export", "--query", "seniors", "--country", "GH", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    expected = await _total(gql, query="seniors", filter={"countryId": "GH"})
    assert len(rows) == expected > 0
    assert {(row["age_group"], row["country_id"]) for row in rows} == {("senior", "GH")}
    assert f"wrote {expected} profiles to {out}" in result.stderr
    assert not (tmp_path / ".seniors.csv.partial").exists()


async def test_export_to_stdout(run_cli: RunCli, gql: GraphQLCall, demo_profiles: None) -> None:
    result = run_cli("export", "--gender", "female", "--min-age", "70", "-o", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == await _total(gql, filter={"gender": "FEMALE", "minAge": 70})


def test_an_export_to_a_directory_or_a_missing_folder_is_refused_before_it_starts(
    run_cli: RunCli, tmp_path: Path
) -> None:
    for out in (tmp_path, tmp_path / "missing" / "out.csv"):
        result = run_cli("export", "-q", "women", "-o", str(out))
        assert result.exit_code == ExitCode.USAGE, result.output
        assert "exporting" not in result.stderr  # refused before asking the server
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_no_file(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "never.csv"
    result = run_cli("export", "-q", "women", "-o", str(out), token=None)
    assert result.exit_code == ExitCode.UNAUTHENTICATED
    assert not out.exists()
    assert not list(tmp_path.glob(".*.partial"))


async def test_a_terminal_capture_of_query_for_the_docs(
    run_cli: RunCli, demo_profiles: None, tmp_path: Path
) -> None:
    command = ("query", "young males from kenya", "--first", "5")
    result = run_cli(*command, env={"COLUMNS": "96"})
    assert result.exit_code == 0, result.output
    text = Text(result.stdout)
    assert "Kenya (KE)" in text.plain
    console = Console(record=True, width=96, file=io.StringIO(), force_terminal=True)
    console.print(f"$ insighta {command[0]} {command[1]!r} {' '.join(command[2:])}")
    console.print(text)
    # INSIGHTA_SCREENSHOT_DIR=docs/screenshots refreshes docs/cli.md's picture.
    out = Path(os.environ.get("INSIGHTA_SCREENSHOT_DIR") or tmp_path) / "cli-query.svg"
    console.save_svg(str(out), title="insighta query")
    assert "Kenya (KE)" in out.read_text().replace("&#160;", " ")


async def test_export_counts_profiles_not_lines_when_a_name_holds_a_line_break(
    run_cli: RunCli, pool: asyncpg.Pool, empty_profiles: None, tmp_path: Path
) -> None:
    names = ["Line\nBreak", 'Quote "Line\r\nBreak"', "Ada Obi"]
    now = datetime.now(UTC)
    rows = [(uuid7(), name, name_key(name), "female", 0.9, 30, "NG", "Nigeria", 0.8, now)
            for name in names]  # fmt: skip
    async with pool.acquire() as conn, conn.transaction():
        await profiles_db.insert_profiles(conn, rows)
    out = tmp_path / "all.csv"
    result = run_cli("export", "-o", str(out))
    assert result.exit_code == 0, result.output
    with out.open(newline="") as file:
        assert sorted(row["name"] for row in csv.DictReader(file)) == sorted(names)
    assert f"wrote 3 profiles to {out}" in result.stderr


def test_the_row_count_holds_when_a_quoted_cell_is_split_across_chunks() -> None:
    body = b'id,name\n1,"a\n""b"""\n2,plain\n'
    for cut in range(len(body) + 1):
        counter = _RecordCounter()
        counter.feed(body[:cut])
        counter.feed(body[cut:])
        assert counter.records == 3, cut


async def test_query_prints_names_and_words_as_they_are_not_as_markup(
    run_cli: RunCli, pool: asyncpg.Pool, empty_profiles: None
) -> None:
    names = ["[red]Red[/red] Name", "Broken [/] Name"]
    now = datetime.now(UTC)
    rows = [(uuid7(), name, name_key(name), "male", 0.9, 30, "NG", "Nigeria", 0.8, now)
            for name in names]  # fmt: skip
    async with pool.acquire() as conn, conn.transaction():
        await profiles_db.insert_profiles(conn, rows)
    result = run_cli("query", "men [/bold]")
    assert result.exit_code == 0, result.output
    assert "query     men [/bold]" in result.stdout
    assert "unused    bold" in result.stdout  # the server drops the brackets
    for name in names:
        assert name in result.stdout
