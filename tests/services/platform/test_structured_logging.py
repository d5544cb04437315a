"""Log lines are readable on a terminal and JSON elsewhere; LOG_FORMAT chooses. Real processes:
whether stderr is a terminal is a property of the process, so each case runs one."""

import os
import pty
import subprocess
import sys

import orjson
import pytest

PROGRAM = """
import logging
from services.platform.settings import Settings
from services.platform.structured_logging import configure_logging
configure_logging(Settings.from_env().log_format)
logging.getLogger("insighta.test").info("hello", extra={"job_id": 7})
"""


def _log_line(log_format: str | None, *, terminal: bool) -> str:
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    if log_format is not None:
        env["LOG_FORMAT"] = log_format
    if not terminal:
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM], env=env, capture_output=True, check=True
        )
        return done.stderr.decode().strip()
    controller, terminal_end = pty.openpty()
    try:
        subprocess.run([sys.executable, "-c", PROGRAM], env=env, stderr=terminal_end, check=True)
        return os.read(controller, 4096).decode().strip()
    finally:
        os.close(controller)
        os.close(terminal_end)


@pytest.mark.parametrize(
    ("log_format", "terminal"), [(None, False), ("json", True), ("json", False)]
)
def test_json_lines_off_a_terminal_or_when_asked(log_format: str | None, terminal: bool) -> None:
    event = orjson.loads(_log_line(log_format, terminal=terminal))
    assert (event["message"], event["job_id"], event["logger"]) == ("hello", 7, "insighta.test")


@pytest.mark.parametrize(
    ("log_format", "terminal"), [(None, True), ("console", False), ("CONSOLE", True)]
)
def test_readable_lines_on_a_terminal_or_when_asked(log_format: str | None, terminal: bool) -> None:
    line = _log_line(log_format, terminal=terminal)
    assert " INFO    insighta.test  hello  job_id=7" in line
    assert not line.startswith("{")


def test_an_unknown_log_format_is_refused_naming_the_choices() -> None:
    env = {**os.environ, "LOG_FORMAT": "xml"}
    done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True)
    assert done.returncode != 0
    assert b"LOG_FORMAT must be console or json, got 'xml'" in done.stderr
