"""Which redirect URIs a client-run GitHub sign-in may use: an exact loopback address only."""

import pytest

from services.accounts.github_signin import check_loopback_redirect
from services.errors import ErrorCode, ServiceError


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://127.0.0.1:5555/callback", "http://[::1]:5555/cb", "http://localhost:80/"],
)
def test_loopback_redirects_are_accepted(redirect_uri: str) -> None:
    check_loopback_redirect(redirect_uri)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        # urlsplit reads these as host 127.0.0.1; a browser goes to evil.com.
        "http://evil.com\\@127.0.0.1/cb",
        "http://evil.com\\@127.0.0.1:5555/cb",
        "http://evil.com%5C@127.0.0.1:5555/cb",
        "http://user@127.0.0.1:5555/cb",
        "http://127.0.0.1.evil.com:5555/cb",
        "http://127.0.0.1:5555@evil.com/cb",
        "http://127.0.0.1:5555\\@evil.com/cb",
        "https://127.0.0.1:5555/cb",
        "http://127.0.0.1/cb",
        "http://127.0.0.1:0/cb",
        "http://127.0.0.1:70000/cb",
        "http://LOCALHOST:5555/cb",
        "http://evil.com/cb",
    ],
)
def test_anything_else_is_refused(redirect_uri: str) -> None:
    with pytest.raises(ServiceError) as refused:
        check_loopback_redirect(redirect_uri)
    assert refused.value.code is ErrorCode.BAD_USER_INPUT
