"""`insighta serve` prints a link a browser can open, even when it listens on every address."""

import pytest

from graph.cli import _browsable


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
