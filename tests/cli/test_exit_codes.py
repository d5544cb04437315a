"""The one table of exit codes: every code has a hint, every error code an exit code, and the
table in docs/cli.md says the same."""

import re
from pathlib import Path

from cli.exit_codes import EXIT_CODES, HINTS, ExitCode, exit_code_for
from services.errors import ErrorCode

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _documented_rows() -> dict[int, str]:
    text = CLI_DOC.read_text()
    table = text[text.index("**Exit codes**") :].split("\n\n")[1]
    rows = re.findall(r"^\| (\d+) \| (.*) \|$", table, flags=re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def test_every_exit_code_has_a_hint_and_every_failure_one() -> None:
    assert set(HINTS) == set(ExitCode)
    for code in ExitCode:
        if code not in (ExitCode.OK, ExitCode.INTERRUPTED):
            assert HINTS[code], code


def test_every_error_code_a_client_can_see_has_its_exit_code() -> None:
    # Only a client that sends persisted-query hashes gets it; this one sends whole documents.
    shown = set(ErrorCode) - {ErrorCode.PERSISTED_QUERY_NOT_FOUND}
    assert {ErrorCode(code) for code in EXIT_CODES} == shown
    assert exit_code_for("SOMETHING_NEW") is ExitCode.FAILED
    assert exit_code_for(None) is ExitCode.FAILED


def test_the_cli_doc_lists_exactly_these_codes() -> None:
    rows = _documented_rows()
    assert set(rows) == {int(code) for code in ExitCode}
    for error_code, exit_code in EXIT_CODES.items():
        assert f"`{error_code}`" in rows[exit_code], error_code
