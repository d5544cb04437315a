"""GitHub's OAuth web flow with PKCE (S256), through authlib's httpx client.

Three calls to GitHub: the browser goes to `/login/oauth/authorize` (client id, redirect URI,
`state`, the S256 `code_challenge`); we post the code, the verifier and the client secret to
`/login/oauth/access_token`; with the token we read `/user` and `/user/emails` (the verified
primary address: a GitHub profile's public email may be unverified or absent). Nothing is
retried: a code works once, so a token request that timed out may already have used it.
"""

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Final, Self
from urllib.parse import urlencode

# authlib's client is built on httpx2 (declared in pyproject.toml so authlib never takes its
# deprecated plain-httpx fallback): its errors are httpx2's.
import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from services.errors import ErrorCode, ServiceError
from services.platform.settings import Secret, Settings

logger = logging.getLogger(__name__)

# read:user for /user, user:email for the verified addresses in /user/emails.
SCOPE: Final = "read:user user:email"
NOT_CONFIGURED: Final = "GitHub sign-in is not configured on this server"
UNREACHABLE: Final = "GitHub could not be reached: try signing in again later"
REFUSED: Final = (
    "GitHub refused the sign-in (an expired or used code, or a wrong verifier): start again"
)
_API_HEADERS: Final = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
}


@dataclass(frozen=True, slots=True)
class GitHubApp:
    """Our OAuth app at GitHub, and where GitHub is (a local fake in tests)."""

    client_id: str
    client_secret: Secret
    oauth_base_url: str
    api_base_url: str
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """None unless both the client id and secret are set."""
        if settings.github_client_id is None or settings.github_client_secret is None:
            return None
        return cls(
            client_id=settings.github_client_id,
            client_secret=settings.github_client_secret,
            oauth_base_url=settings.github_oauth_base_url,
            api_base_url=settings.github_api_base_url,
            timeout_seconds=settings.upstream_timeout_seconds,
        )


@dataclass(frozen=True, slots=True)
class GitHubIdentity:
    id: int
    login: str
    name: str | None
    email: str  # the verified primary address


def not_configured() -> ServiceError:
    return ServiceError(ErrorCode.NOT_FOUND, NOT_CONFIGURED)


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    # RFC 7636 4.1: 43-128 characters; 48 random bytes make 64.
    return secrets.token_urlsafe(48)


def authorization_url(
    app: GitHubApp,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str | None = None,
    code_challenge: str | None = None,
) -> str:
    """Where the browser goes: GitHub's consent page, which redirects to `redirect_uri`. The
    challenge is made from `code_verifier`, or given (a client that keeps its verifier)."""
    # Built by hand: an OAuth client here would open an HTTP session (and an SSL context, which
    # blocks the loop for milliseconds) only to format a URL.
    if code_challenge is None:
        assert code_verifier is not None, "a verifier or its challenge"
        code_challenge = create_s256_code_challenge(code_verifier)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{app.oauth_base_url}/login/oauth/authorize?{query}"


async def fetch_identity(
    app: GitHubApp, *, code: str, code_verifier: str, redirect_uri: str
) -> GitHubIdentity:
    """Trade the code (and the verifier that proves we started the flow) for a token, then read
    who it belongs to. UNAUTHENTICATED when GitHub refuses, UPSTREAM_UNAVAILABLE when it is
    down or slow, BAD_USER_INPUT without a verified primary address."""
    async with _client(app, redirect_uri) as client:
        try:
            await client.fetch_token(
                f"{app.oauth_base_url}/login/oauth/access_token",
                code=code,
                code_verifier=code_verifier,
            )
            user = await _get_json(client, f"{app.api_base_url}/user")
            emails = await _get_json(client, f"{app.api_base_url}/user/emails")
        except AuthlibBaseError as error:
            logger.info("github refused the code", extra={"error": getattr(error, "error", "")})
            raise ServiceError(ErrorCode.UNAUTHENTICATED, REFUSED) from None
        except (httpx2.TransportError, httpx2.HTTPStatusError, ValueError) as error:
            logger.warning("github unavailable", extra={"error": repr(error)})
            raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, UNREACHABLE) from None
    return _identity(user, emails)


def _client(app: GitHubApp, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=app.client_id,
        client_secret=app.client_secret.reveal(),
        # GitHub takes the secret in the form body; the fake checks it there.
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
        redirect_uri=redirect_uri,
        scope=SCOPE,
        timeout=app.timeout_seconds,
    )


async def _get_json(client: AsyncOAuth2Client, url: str) -> Any:
    response = await client.get(url, headers=_API_HEADERS)
    if response.status_code in (401, 403):  # the token was revoked meanwhile
        raise AuthlibBaseError(error=f"http {response.status_code}")
    response.raise_for_status()
    return response.json()


def _identity(user: Any, emails: Any) -> GitHubIdentity:
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise ServiceError(ErrorCode.UPSTREAM_UNAVAILABLE, UNREACHABLE)
    primary = next(
        (
            entry["email"]
            for entry in (emails if isinstance(emails, list) else [])
            if isinstance(entry, dict)
            and entry.get("primary") is True
            and entry.get("verified") is True
            and isinstance(entry.get("email"), str)
        ),
        None,
    )
    if primary is None:
        raise ServiceError(
            ErrorCode.BAD_USER_INPUT,
            "your GitHub account has no verified primary email address: verify one on GitHub",
        )
    name = user.get("name")
    return GitHubIdentity(
        id=user["id"],
        login=str(user.get("login") or user["id"]),
        name=name if isinstance(name, str) and name.strip() else None,
        email=primary,
    )
