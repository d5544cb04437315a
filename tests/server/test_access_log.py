"""One structured access-log line per request, with request id, operation, user and timing."""

import logging

import httpx
import pytest

from services.auth.tokens import Role
from tests.conftest import make_token

PROBE = "query Probe { profileStats(groupBy: []) { count } }"


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "server.access_log"]


async def test_a_graphql_request_logs_one_line_with_operation_user_and_timing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="server.access_log"):
        response = await client.post(
            "/graphql",
            json={"query": PROBE},
            headers={"Authorization": f"Bearer {make_token(Role.ANALYST)}"},
        )
    [line] = _access_lines(caplog)
    fields = vars(line)
    assert fields["request_id"] == response.headers["x-request-id"]
    assert (fields["method"], fields["path"], fields["status"]) == ("POST", "/graphql", 200)
    assert (fields["operation"], fields["operation_type"]) == ("Probe", "query")
    assert (fields["user"], fields["role"]) == ("test-analyst", "analyst")
    assert fields["duration_ms"] > 0
    assert "error_codes" not in fields


async def test_error_codes_are_logged_and_the_request_id_matches_the_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="server.access_log"):
        response = await client.post("/graphql", json={"query": PROBE})
    [line] = _access_lines(caplog)
    assert vars(line)["error_codes"] == ["UNAUTHENTICATED"]
    assert vars(line)["user"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_sane_caller_request_id_is_kept_and_a_strange_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-Id": "trace-42.a"})
    assert kept.headers["x-request-id"] == "trace-42.a"
    replaced = await client.get("/healthz", headers={"X-Request-Id": "<script>" * 20})
    assert replaced.headers["x-request-id"] != "<script>" * 20
    assert len(replaced.headers["x-request-id"]) == 32


async def test_query_strings_never_reach_the_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="server.access_log"):
        await client.get("/exports/profiles.csv", params={"token": "secret-token-value"})
    [line] = _access_lines(caplog)
    assert vars(line)["path"] == "/exports/profiles.csv"
    assert vars(line)["status"] == 401
    assert "secret-token-value" not in caplog.text
