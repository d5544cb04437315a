"""Resend through its SDK: async send with an Idempotency-Key, through the retry policy.

The SDK keeps its configuration in module globals (`resend.api_key`, `resend.api_url`, the
async HTTP client). We set them right before each send: `Emails.send_async` reads them before
its first await, so concurrent sends on one event loop cannot see another mailer's values.
The SDK does not retry; our policy does, with the same idempotency key every time.
"""

from collections.abc import Mapping
from typing import Final

import resend
from resend.http_client_httpx import HTTPXClient

from services.email.mailer import DeliveryStatus, OnAttempt, OutgoingEmail, SentEmail
from services.platform.retry import FailureKind, RetryPolicy, UpstreamFailure
from services.platform.retry_tasks import SEND_EMAIL
from services.platform.transport_errors import retry_after_header, transport_failure

DEFAULT_API_URL: Final = "https://api.resend.com"
# What resend's async request reports when its HTTP client raised (timeout, refused, reset).
_CLIENT_ERROR_TYPE: Final = "HttpClientError"


class ResendMailer:
    def __init__(
        self,
        *,
        api_key: str,
        api_url: str | None,
        timeout_seconds: float,
        policies: Mapping[str, RetryPolicy],
    ) -> None:
        self._api_key = api_key
        self._api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        # httpx takes a float timeout though the SDK annotates it as int.
        self._http = HTTPXClient(timeout=timeout_seconds)  # type: ignore[arg-type]
        self._policy = policies[SEND_EMAIL]

    async def send(
        self, email: OutgoingEmail, *, idempotency_key: str, on_attempt: OnAttempt | None = None
    ) -> SentEmail:
        params: resend.Emails.SendParams = {
            "from": email.sender,
            "to": [email.to],
            "subject": email.subject,
            "text": email.text,
            "html": email.html,
        }
        options: resend.Emails.SendOptions = {"idempotency_key": idempotency_key}

        async def call() -> SentEmail:
            resend.api_key = self._api_key
            resend.api_url = self._api_url
            resend.default_async_http_client = self._http
            try:
                response = await resend.Emails.send_async(params, options)
            except resend.exceptions.ResendError as error:
                raise _failure(error) from error
            except resend.exceptions.NoContentError as error:
                # A 200 whose body is JSON null; not a ResendError, so it needs its own case.
                raise UpstreamFailure(FailureKind.MALFORMED, "the answer is empty") from error
            except Exception as error:
                failure = transport_failure(error)
                if failure is None:
                    raise
                raise failure from error
            provider_id = response.get("id") if isinstance(response, dict) else None
            if not provider_id:
                raise UpstreamFailure(FailureKind.MALFORMED, "the answer has no email id")
            return SentEmail(status=DeliveryStatus.SENT, provider_id=str(provider_id))

        return await self._policy.run(call, on_attempt=on_attempt)


def _failure(error: resend.exceptions.ResendError) -> UpstreamFailure:
    if error.error_type == _CLIENT_ERROR_TYPE:
        # The SDK wraps the HTTP client's exception; the chain still holds the original.
        cause: BaseException | None = error
        while cause is not None:
            failure = transport_failure(cause) if cause is not error else None
            if failure is not None:
                return failure
            cause = cause.__cause__ or cause.__context__
        return UpstreamFailure(FailureKind.CONNECTION, error.message)
    try:
        status = int(error.code)
    except (TypeError, ValueError):
        status = 500
    # An unreadable body arrives here as code 500 (the SDK cannot tell a garbled 200 from a
    # proxy's HTML 502), so it is retried: safe, as the idempotency key makes it one email.
    return UpstreamFailure(
        FailureKind.STATUS,
        f"{error.error_type}: {error.message}",
        status=status,
        retry_after=retry_after_header(error.headers),
    )
