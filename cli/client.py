"""The CLI's one GraphQL client: where to send requests, with which token, JSON requests,
streamed uploads and downloads, subscriptions, and every failure turned into a `CommandError`
with a message and the exit code of cli/exit_codes.py (never a traceback)."""

import dataclasses
import ipaddress
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final
from urllib.parse import urlsplit

import httpx

from cli.credentials import load_login
from cli.data_dir import (
    DATA_DIR_NAME,
    DATA_DIR_VARIABLE,
    SERVER_RECORD,
    find_data_dir,
    recorded_server_url,
)
from cli.errors import CommandError
from cli.exit_codes import HINTS, ExitCode, exit_code_for
from cli.subscriptions import subscribe
from cli.uploads import multipart_upload
from services.auth.tokens import Role, issue_token
from services.platform.settings import DEFAULT_CLIENT_URL, ClientSettings, Settings

TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
# The server answers an upload once it has stored the whole file.
UPLOAD_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0, read=300.0)
# Malformed, or not http(s): no server could be reached there, so it is the URL that is wrong.
UNUSABLE_URL: Final = (httpx.InvalidURL, httpx.UnsupportedProtocol)
_URL_HINT: Final = (
    "INSIGHTA_URL must name the server's /graphql endpoint, e.g. http://127.0.0.1:8000/graphql."
)
LOCAL_TOKEN_TTL: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str
    token: str | None
    token_source: str  # said by whoami and in UNAUTHENTICATED hints
    url_source: str = "INSIGHTA_URL"  # said by whoami


def resolve_endpoint(client: ClientSettings, server: Settings | None) -> Endpoint:
    """Where and as whom, first match wins. URL: INSIGHTA_URL, else the URL `serve` recorded in
    the data dir (`server`'s, None when no data dir was found), else the stored login's, else
    the local default. Token: INSIGHTA_TOKEN, else the stored login (for that URL), else an
    admin token signed with the data dir's key (a server on this machine only).

    The project's recorded server comes before the stored login as a repository's git config
    comes before the global one: it is the more specific of the two.
    """
    stored = load_login(client.credentials_path)
    recorded = recorded_server_url(server.data_dir) if server is not None else None
    if client.url:
        url, url_source = client.url, "INSIGHTA_URL"
    elif recorded is not None and server is not None:
        url, url_source = recorded, f"recorded by serve ({server.data_dir / SERVER_RECORD})"
    elif stored is not None:
        url, url_source = stored.url, f"stored login ({client.credentials_path})"
    else:
        url, url_source = DEFAULT_CLIENT_URL, "default"
    if client.token is not None:
        return Endpoint(url, client.token.reveal(), "INSIGHTA_TOKEN", url_source)
    if stored is not None and stored.url == url:
        return Endpoint(url, stored.token, f"stored login ({client.credentials_path})", url_source)
    key = server.stored_secret_key() if server is not None else None
    if server is not None and key is not None and _is_loopback(url):
        token = issue_token(key, role=Role.ADMIN, subject="local-admin", ttl=LOCAL_TOKEN_TTL)
        return Endpoint(url, token, f"local admin token (key in {server.data_dir})", url_source)
    looked = (
        f"no server key in {server.data_dir}"
        if server is not None
        else f"no .insighta/ data dir from here up, and {DATA_DIR_VARIABLE} is unset"
    )
    return Endpoint(url, None, f"none ({looked})", url_source)


def local_endpoint() -> Endpoint:
    """The endpoint the environment, the project's data dir and the stored login name."""
    found = find_data_dir(os.environ, Path.cwd())
    server = Settings.from_env()
    return resolve_endpoint(
        ClientSettings.from_env(),
        None if found is None else dataclasses.replace(server, data_dir=found),
    )


def connect() -> "InsightaClient":
    """A client for the server and token that the environment and the stored login name."""
    return InsightaClient(local_endpoint())


class InsightaClient:
    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None):
        self.endpoint = endpoint
        self._auth = {"Authorization": f"Bearer {endpoint.token}"} if endpoint.token else {}
        self._http = httpx.Client(headers=self._auth, timeout=TIMEOUT, transport=transport)

    def __enter__(self) -> "InsightaClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a GraphQL response, or CommandError for the first error it carries."""
        payload = {"query": query, "variables": variables or {}}
        try:
            response = self._http.post(self.endpoint.url, json=payload)
        except UNUSABLE_URL as error:
            raise _unusable_url(self.endpoint.url, error) from None
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        return self._data(response)

    def upload(
        self,
        query: str,
        path: Path,
        *,
        variable: str = "file",
        on_progress: Callable[[int], None] = lambda sent: None,
    ) -> dict[str, Any]:
        """Send `query` with `path` as its Upload variable `variable`, streamed from disk;
        `on_progress` gets the number of file bytes sent so far."""
        request = multipart_upload(query, path, variable=variable, on_progress=on_progress)
        try:
            response = self._http.post(
                self.endpoint.url,
                content=request.body,
                headers=request.headers,
                timeout=UPLOAD_TIMEOUT,
            )
        except UNUSABLE_URL as error:
            raise _unusable_url(self.endpoint.url, error) from None
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        return self._data(response)

    def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Each result's `data` until the server completes the subscription; an error result
        is a CommandError, an unusable websocket `SubscriptionUnavailable`."""
        ws_url = "ws" + self.endpoint.url.removeprefix("http")
        for body in subscribe(ws_url, self._auth, query, variables or {}):
            yield self._data_of(body, lambda: _not_graphql(ws_url))

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
                    hint="",
                ) from None
            raise self._unreachable(error) from None
        return written

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        body = _json_body(response, self.endpoint.url)
        if response.status_code != 200 and not body.get("errors"):
            raise _not_insighta(response, self.endpoint.url)
        return self._data_of(body, lambda: _not_insighta(response, self.endpoint.url))

    def _data_of(
        self, body: dict[str, Any], not_graphql: Callable[[], CommandError]
    ) -> dict[str, Any]:
        errors = body.get("errors")
        if errors:
            raise self._graphql_error(errors[0] if isinstance(errors, list) else errors)
        data = body.get("data")
        if not isinstance(data, dict):
            raise not_graphql()
        return data

    def _unreachable(self, error: httpx.HTTPError) -> CommandError:
        if isinstance(error, httpx.TimeoutException):
            reason = "it did not answer in time"
        elif isinstance(error, httpx.ConnectError):
            reason = "nothing answered (connection refused or unknown host)"
        else:
            reason = f"the connection failed ({type(error).__name__}: {error})"
        return CommandError(
            f"cannot reach Insighta at {self.endpoint.url}: {reason}", ExitCode.UNREACHABLE
        )

    def _graphql_error(self, error: Any) -> CommandError:
        extensions = error.get("extensions") or {} if isinstance(error, dict) else {}
        code = extensions.get("code")
        message = error.get("message", "unknown error") if isinstance(error, dict) else str(error)
        if extensions.get("field"):
            message = f"{message} (field {extensions['field']})"
        if extensions.get("requestId"):
            message = f"{message} (request id {extensions['requestId']})"
        exit_code = exit_code_for(code)
        hint = None
        if exit_code is ExitCode.UNAUTHENTICATED:
            hint = f"Token used: {self.endpoint.token_source}. {HINTS[exit_code]}"
            if self.endpoint.token is None:
                hint += (
                    f" For a server on this machine, run from inside its project (the folder "
                    f"holding {DATA_DIR_NAME}/) or set {DATA_DIR_VARIABLE} to its data dir."
                )
        return CommandError(message, exit_code, code=code, hint=hint)


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


def _not_graphql(url: str) -> CommandError:
    return CommandError(f"{url} sent a subscription result without data", ExitCode.FAILED)


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
