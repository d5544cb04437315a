"""A fake GitHub: the OAuth authorize and token endpoints with PKCE, `/user` and `/user/emails`.

`/login/oauth/authorize` consents at once (the person in the browser always says yes) and
redirects to the `redirect_uri` with a code and the `state`. The token endpoint checks what
GitHub checks: the client id and secret, a code used once, the same redirect URI, and that the
S256 of `code_verifier` is the `code_challenge` the authorize request carried; like GitHub it
answers a refusal as 200 with an `error` field. The signed-in person is `next_user`.

Fault switches, on top of FakeServer's scripts (which hit whichever request comes next):
`token_fault` applies to the token endpoint only (`Fault.status(500)`, `Fault.slow(...)`);
`reject_verifier` refuses every verifier as GitHub refuses a wrong one.
"""

import asyncio
import base64
import hashlib
import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from tests.fakes.server import FakeServer, Fault, Handler

CLIENT_ID = "fake-github-client-id"
CLIENT_SECRET = "fake-github-client-secret"

_ids = itertools.count(9_000_001)


@dataclass(frozen=True, slots=True)
class GitHubUser:
    id: int
    login: str
    name: str | None
    email: str
    email_verified: bool = True


def new_github_user(login: str, email: str, *, name: str | None = "Grace Hopper") -> GitHubUser:
    return GitHubUser(id=next(_ids), login=login, name=name, email=email)


@dataclass(frozen=True, slots=True)
class _Grant:
    challenge: str
    redirect_uri: str
    user: GitHubUser


@dataclass
class FakeGitHub(FakeServer):
    next_user: GitHubUser | None = None
    token_fault: Fault | None = None
    reject_verifier: bool = False
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _tokens: dict[str, GitHubUser] = field(default_factory=dict)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/login/oauth/authorize", self._authorize),
            ("POST", "/login/oauth/access_token", self._access_token),
            ("GET", "/user", self._user),
            ("GET", "/user/emails", self._emails),
        ]

    def error_response(self, status: int, retry_after: str | None) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return web.json_response(
            {"message": f"fake GitHub says {status}"}, status=status, headers=headers
        )

    def reset(self) -> None:
        super().reset()
        self.next_user = None
        self.token_fault = None
        self.reject_verifier = False
        self.authorize_requests.clear()
        self._grants.clear()
        self._tokens.clear()

    async def _authorize(self, request: web.Request, body: bytes) -> web.StreamResponse:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or "redirect_uri" not in query:
            return web.Response(status=404, text="unknown OAuth app")
        # GitHub ignores unknown methods and falls back to plain; we only ever want S256.
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return web.Response(status=400, text="PKCE S256 required by this fake")
        if self.next_user is None:
            return web.Response(status=500, text="the test set no next_user")
        code = secrets.token_hex(10)
        self._grants[code] = _Grant(query["code_challenge"], query["redirect_uri"], self.next_user)
        parameters = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        separator = "&" if "?" in query["redirect_uri"] else "?"
        raise web.HTTPFound(f"{query['redirect_uri']}{separator}{urlencode(parameters)}")

    async def _access_token(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if self.token_fault is not None:
            if self.token_fault.status_code is not None:
                return self.error_response(self.token_fault.status_code, None)
            if self.token_fault.delay:
                await asyncio.sleep(self.token_fault.delay)
        form = dict(parse_qsl(body.decode()))
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _refusal("incorrect_client_credentials")
        grant = self._grants.pop(str(form.get("code", "")), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant.redirect_uri:
            return _refusal("bad_verification_code")
        verifier = str(form.get("code_verifier", ""))
        if self.reject_verifier or _s256(verifier) != grant.challenge:
            return _refusal("bad_verification_code", "The code_verifier does not match")
        token = f"gho_{secrets.token_hex(16)}"
        self._tokens[token] = grant.user
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}
        )

    async def _user(self, request: web.Request, body: bytes) -> web.StreamResponse:
        user = self._bearer(request)
        if user is None:
            return self.error_response(401, None)
        return web.json_response({"id": user.id, "login": user.login, "name": user.name})

    async def _emails(self, request: web.Request, body: bytes) -> web.StreamResponse:
        user = self._bearer(request)
        if user is None:
            return self.error_response(401, None)
        emails: list[dict[str, Any]] = [
            {"email": user.email, "primary": True, "verified": user.email_verified},
            {"email": f"{user.login}@users.noreply.github.com", "primary": False, "verified": True},
        ]
        return web.json_response(emails)

    def _bearer(self, request: web.Request) -> GitHubUser | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self._tokens.get(token) if scheme.lower() in ("bearer", "token") else None


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _refusal(error: str, description: str = "") -> web.Response:
    return web.json_response({"error": error, "error_description": description})
