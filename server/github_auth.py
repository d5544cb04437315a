"""Sign in with GitHub from a browser: `GET /auth/github/start` and `GET /auth/github/callback`;
`GET /auth/github/authorize` starts a flow a client runs itself (`insighta login --github`).

`start` makes the `state` and the PKCE verifier, keeps them (and an `invitation` parameter) in
a short-lived signed HttpOnly cookie scoped to `/auth/github` (services/accounts/github_signin.py
says why a cookie), and redirects to GitHub. `callback` checks the state against the cookie,
trades the code with the verifier, links or creates the account and redirects to
`APP_URL/auth/github#access_token=...`: the tokens travel in the fragment, which browsers
never send to a server, so they reach no access log or Referer. Every refusal is our coded
JSON error body (server/errors.py); an unconfigured server answers NOT_FOUND.
"""

import logging
import re
import secrets
from typing import Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from graph.core.errors import DATABASE_UNAVAILABLE_MESSAGE, INTERNAL_MESSAGE
from server.access_log import request_id_of
from server.errors import error_response, service_error_response
from services.accounts.github_oauth import (
    authorization_url,
    new_code_verifier,
    new_state,
    not_configured,
)
from services.accounts.github_signin import (
    FLOW_TTL,
    GitHubSignIn,
    PendingFlow,
    check_loopback_redirect,
    exchange_and_sign_in,
    open_flow,
    seal_flow,
)
from services.accounts.runtime import AccountServices
from services.errors import ErrorCode, ServiceError
from services.platform.database import is_database_unavailable

logger = logging.getLogger(__name__)

FLOW_COOKIE: Final = "insighta_github_flow"
COOKIE_PATH: Final = "/auth/github"
CALLBACK_ROUTE: Final = "github_callback"
# base64url of a sha256, unpadded (RFC 7636 4.2).
_CHALLENGE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_NO_STORE: Final = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def github_start(request: Request) -> Response:
    accounts: AccountServices = request.app.state.accounts
    if accounts.github is None:
        return service_error_response(not_configured())
    invitation = request.query_params.get("invitation") or None
    flow = PendingFlow(
        state=new_state(), code_verifier=new_code_verifier(), invitation_token=invitation
    )
    target = authorization_url(
        accounts.github,
        redirect_uri=str(request.url_for(CALLBACK_ROUTE)),
        state=flow.state,
        code_verifier=flow.code_verifier,
    )
    response = RedirectResponse(target, status_code=302, headers=_NO_STORE)
    response.set_cookie(
        FLOW_COOKIE,
        seal_flow(request.app.state.secret_key, flow),
        max_age=int(FLOW_TTL.total_seconds()),
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        # Lax: the cookie comes back on GitHub's top-level redirect, never on a cross-site POST.
        samesite="lax",
    )
    return response


async def github_authorize(request: Request) -> Response:
    """For a client that runs the flow itself (`insighta login --github`): it keeps the state
    and the verifier and sends only the challenge; the server adds its client id and sends
    the browser to GitHub, which redirects to the client's loopback port."""
    accounts: AccountServices = request.app.state.accounts
    if accounts.github is None:
        return service_error_response(not_configured())
    query = request.query_params
    redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
    challenge = query.get("code_challenge", "")
    try:
        check_loopback_redirect(redirect_uri)
        if not state or not _CHALLENGE.fullmatch(challenge):
            raise ServiceError(
                ErrorCode.BAD_USER_INPUT,
                "send state and an S256 code_challenge (43 base64url characters)",
            )
        if query.get("code_challenge_method", "S256") != "S256":
            raise ServiceError(ErrorCode.BAD_USER_INPUT, "only code_challenge_method=S256")
    except ServiceError as error:
        return service_error_response(error)
    target = authorization_url(
        accounts.github, redirect_uri=redirect_uri, state=state, code_challenge=challenge
    )
    return RedirectResponse(target, status_code=302, headers=_NO_STORE)


async def github_callback(request: Request) -> Response:
    accounts: AccountServices = request.app.state.accounts
    if accounts.github is None:
        return service_error_response(not_configured())
    try:
        signed_in = await _finish(request, accounts)
    except ServiceError as error:
        response = service_error_response(error, headers=_NO_STORE)
    except Exception as error:
        # Outside GraphQL no masking reaches here: the browser still gets our coded body and
        # a request id, the details go to the log only.
        request_id = request_id_of(request.scope)
        if is_database_unavailable(error):
            logger.warning("github sign-in: database unavailable", extra={"request_id": request_id})
            code, message = ErrorCode.UPSTREAM_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE
        else:
            logger.exception("github sign-in failed", extra={"request_id": request_id})
            code, message = ErrorCode.INTERNAL, INTERNAL_MESSAGE
        response = error_response(
            code, message, extensions={"requestId": request_id}, headers=_NO_STORE
        )
    else:
        location = f"{accounts.policy.app_url}/auth/github#{_fragment(signed_in)}"
        response = RedirectResponse(location, status_code=303, headers=_NO_STORE)
    # One flow, one callback: a replayed callback URL finds no cookie.
    response.delete_cookie(FLOW_COOKIE, path=COOKIE_PATH)
    return response


async def _finish(request: Request, accounts: AccountServices) -> GitHubSignIn:
    flow = open_flow(request.app.state.secret_key, request.cookies.get(FLOW_COOKIE))
    state = request.query_params.get("state", "")
    if not secrets.compare_digest(state.encode(), flow.state.encode()):
        # Another site's callback link (login CSRF), or a second flow in the same browser.
        raise ServiceError(
            ErrorCode.UNAUTHENTICATED, "the GitHub sign-in state does not match: start again"
        )
    if (refusal := request.query_params.get("error")) is not None:
        raise ServiceError(
            ErrorCode.UNAUTHENTICATED, f"GitHub did not sign you in ({refusal[:100]}): start again"
        )
    code = request.query_params.get("code")
    if not code:
        raise ServiceError(ErrorCode.BAD_USER_INPUT, "the callback carries no code", field="code")
    return await exchange_and_sign_in(
        accounts,
        code=code,
        code_verifier=flow.code_verifier,
        redirect_uri=str(request.url_for(CALLBACK_ROUTE)),
        invitation_token=flow.invitation_token,
    )


def _fragment(signed_in: GitHubSignIn) -> str:
    session = signed_in.session
    return urlencode(
        {
            "access_token": session.access_token,
            "access_token_expires_at": session.access_token_expires_at.isoformat(),
            "refresh_token": session.refresh_token,
            "refresh_token_expires_at": session.refresh_token_expires_at.isoformat(),
            "token_type": "Bearer",
            "github_login": signed_in.github_login,
            "created": "true" if signed_in.created else "false",
        }
    )


def github_routes() -> list[Route]:
    return [
        Route("/auth/github/start", github_start, methods=["GET"]),
        Route("/auth/github/authorize", github_authorize, methods=["GET"]),
        Route("/auth/github/callback", github_callback, methods=["GET"], name=CALLBACK_ROUTE),
    ]
