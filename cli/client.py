"""The CLI's GraphQL-over-HTTP client: where to send requests, with which token, and every
failure turned into a `CommandError` with a message and an exit code (never a traceback)."""

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO, Final
from urllib.parse import urlsplit

import httpx

from cli.credentials import load_login
from cli.exit_codes import ExitCode, exit_code_for
from services.auth.tokens import Role, issue_token
from services.platform.settings import DEFAULT_CLIENT_URL, ClientSettings, Settings

TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
# Malformed, or not http(s): no server could be reached there, so it is the URL that is wrong.
UNUSABLE_URL: Final = (httpx.InvalidURL, httpx.UnsupportedProtocol)
_URL_HINT: Final = (
    "INSIGHTA_URL must name the server's /graphql endpoint, e.g. http://127.0.0.1:8000/graphql."
)
LOCAL_TOKEN_TTL: Final = timedelta(hours=1)


class CommandError(Exception):
    def __init__(
        self, message: str, exit_code: ExitCode, *, code: str | None = None, hint: str = ""
    ) -> None:
        super().__init__(message)
        self.exit_code, self.code, self.hint = exit_code, code, hint


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str
    token: str | None
    token_source: str  # said by whoami and in UNAUTHENTICATED hints


def resolve_endpoint(client: ClientSettings, server: Settings) -> Endpoint:
    """INSIGHTA_URL, else the stored login's URL, else the local default; the token from
    INSIGHTA_TOKEN, else the stored login (for that URL), else an admin token signed with
    the local data dir's key (a server on this machine only)."""
    stored = load_login(client.credentials_path)
    url = client.url or (stored.url if stored else DEFAULT_CLIENT_URL)
    if client.token is not None:
        return Endpoint(url, client.token.reveal(), "INSIGHTA_TOKEN")
    if stored is not None and stored.url == url:
        return Endpoint(url, stored.token, f"stored login ({client.credentials_path})")
    key = server.stored_secret_key()
    if key is not None and _is_loopback(url):
        token = issue_token(key, role=Role.ADMIN, subject="local-admin", ttl=LOCAL_TOKEN_TTL)
        return Endpoint(url, token, f"local admin token (key in {server.data_dir})")
    return Endpoint(url, None, "none")


class InsightaClient:
    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None):
        self.endpoint = endpoint
        headers = {"Authorization": f"Bearer {endpoint.token}"} if endpoint.token else {}
        self._http = httpx.Client(headers=headers, timeout=TIMEOUT, transport=transport)

    def __enter__(self) -> "InsightaClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a GraphQL response, or CommandError for the first error it carries."""
        try:
            response = self._http.post(
                self.endpoint.url, json={"query": query, "variables": variables or {}}
            )
        except UNUSABLE_URL as error:
            raise _unusable_url(self.endpoint.url, error) from None
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        body = _json_body(response, self.endpoint.url)
        errors = body.get("errors")
        if errors:
            raise self._graphql_error(errors[0])
        data = body.get("data")
        if response.status_code != 200 or not isinstance(data, dict):
            raise _not_insighta(response, self.endpoint.url)
        return data

    def download(self, url: str, out: BinaryIO, progress: Callable[[bytes], None]) -> int:
        """Stream `url` into `out`; `progress` sees each chunk. Returns the bytes written."""
        written = 0
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    response.read()
                    errors = _json_body(response, url).get("errors")
                    raise self._graphql_error(errors[0]) if errors else _not_insighta(response, url)
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    progress(chunk)
        except UNUSABLE_URL as error:
            raise _unusable_url(url, error) from None
        except httpx.HTTPError as error:
            if written:
                raise CommandError(
                    f"the download broke off after {written} bytes ({type(error).__name__}); "
                    "the server logs why",
                    ExitCode.FAILED,
                ) from None
            raise self._unreachable(error) from None
        return written

    def _unreachable(self, error: httpx.HTTPError) -> CommandError:
        if isinstance(error, httpx.TimeoutException):
            reason = "it did not answer in time"
        elif isinstance(error, httpx.ConnectError):
            reason = "nothing answered (connection refused or unknown host)"
        else:
            reason = f"the connection failed ({type(error).__name__}: {error})"
        return CommandError(
            f"cannot reach Insighta at {self.endpoint.url}: {reason}",
            ExitCode.UNREACHABLE,
            hint="Is `insighta serve` running? Point INSIGHTA_URL (or `insighta login --url`) "
            "at its /graphql endpoint.",
        )

    def _graphql_error(self, error: Any) -> CommandError:
        extensions = error.get("extensions") or {} if isinstance(error, dict) else {}
        code = extensions.get("code")
        message = error.get("message", "unknown error") if isinstance(error, dict) else str(error)
        if extensions.get("field"):
            message = f"{message} (field {extensions['field']})"
        if extensions.get("requestId"):
            message = f"{message} (request id {extensions['requestId']})"
        hint = ""
        if code == "UNAUTHENTICATED":
            hint = (
                f"Token used: {self.endpoint.token_source}. Run `insighta login`, or set "
                "INSIGHTA_TOKEN (an operator gets one from `insighta token --role analyst`)."
            )
        return CommandError(message, exit_code_for(code), code=code, hint=hint)


def _json_body(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise _not_insighta(response, url) from None
    if not isinstance(body, dict):
        raise _not_insighta(response, url)
    return body


def _not_insighta(response: httpx.Response, url: str) -> CommandError:
    if response.status_code == 503:
        return CommandError(f"Insighta at {url} is unavailable (HTTP 503)", ExitCode.UNAVAILABLE)
    return CommandError(
        f"{url} answered HTTP {response.status_code}, not an Insighta GraphQL response",
        ExitCode.FAILED,
        hint=_URL_HINT,
    )


def _unusable_url(url: str, error: Exception) -> CommandError:
    return CommandError(f"{url} is not a usable URL ({error})", ExitCode.FAILED, hint=_URL_HINT)


def _is_loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # unparseable (`http://[bad`): the request then says so
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
