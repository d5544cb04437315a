"""graphql-http's server audits (the GraphQL-over-HTTP conformance checks) against a real
`insighta serve`: every audit must pass, warnings included.

It needs Node 20 and the pinned packages in tests/http_audit (`npm ci` there), which a fresh
machine lacks, so it is its own run (marker `http_audit`, see pyproject's addopts):
`.ci/run` installs the packages and runs `uv run pytest -m http_audit`. Without Node or the
packages it fails, naming what is missing, rather than skipping.
"""

import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest

from tests.live_server import LiveServer

AUDIT_DIR: Final = Path(__file__).parent.parent / "http_audit"
AUDIT_SECONDS: Final = 60


@pytest.mark.http_audit
def test_graphql_http_server_audits_all_pass(live_server: LiveServer) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the GraphQL-over-HTTP audit needs Node 20 and npm")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        pytest.fail(f"graphql-http is not installed: run `npm ci` in {AUDIT_DIR}")
    audit = subprocess.run(
        [node, "audit.mjs", live_server.graphql_url],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=AUDIT_SECONDS,
        check=False,
    )
    report = audit.stdout + audit.stderr
    assert audit.returncode == 0, f"graphql-http's server audits did not all pass:\n{report}"
    assert "warnings 0, errors 0" in audit.stdout, report
