"""The one client: a download that breaks off half-way is an error, never a file; a
subscription's errors are CommandErrors like any other answer's."""

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.client import Endpoint, InsightaClient
from cli.errors import CommandError
from cli.exit_codes import ExitCode
from cli.ingest import PROGRESS
from cli.profiles import _download_to_file
from cli.subscriptions import SubscriptionUnavailable
from tests.conftest import make_token
from tests.live_server import LiveServer, free_port


@pytest.fixture
def broken_server() -> Iterator[str]:
    """Answers 200 with a chunked CSV body, then hangs up before the last chunk."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n"
                b"10\r\nid,name,gender\n\r\n"
            )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/exports/profiles.csv"
    thread.join(timeout=5)
    listener.close()


def test_a_download_that_breaks_off_fails_and_leaves_no_file(
    broken_server: str, tmp_path: Path
) -> None:
    out = tmp_path / "profiles.csv"
    endpoint = Endpoint("http://127.0.0.1:1/graphql", "t", "test")
    with InsightaClient(endpoint) as client, pytest.raises(CommandError) as raised:
        _download_to_file(client, broken_server, out)
    assert raised.value.exit_code is ExitCode.FAILED
    assert "broke off after 16 bytes" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_subscription_error_is_a_command_error_with_its_exit_code(
    live_server: LiveServer,
) -> None:
    endpoint = Endpoint(live_server.graphql_url, make_token(), "test")
    unknown = {"id": "01a21ef2-541e-742a-bca6-093e5756d0e1"}
    with InsightaClient(endpoint) as client, pytest.raises(CommandError) as raised:
        list(client.subscribe(PROGRESS, unknown))
    assert type(raised.value) is CommandError, "the websocket itself worked"
    assert (raised.value.code, raised.value.exit_code) == ("NOT_FOUND", ExitCode.BAD_INPUT)


def test_a_websocket_that_cannot_open_is_subscription_unavailable() -> None:
    endpoint = Endpoint(f"http://127.0.0.1:{free_port()}/graphql", "t", "test")
    with InsightaClient(endpoint) as client, pytest.raises(SubscriptionUnavailable):
        list(client.subscribe(PROGRESS, {"id": "x"}))
