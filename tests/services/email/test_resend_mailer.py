"""ResendMailer: the real resend SDK (async, httpx) against the fake Resend API."""

import socket

import pytest

from services.email.mailer import DeliveryStatus, OutgoingEmail
from services.email.resend_mailer import ResendMailer
from services.errors import ErrorCode, ServiceError
from tests.fakes.policies import fast_policies
from tests.fakes.resend import API_KEY, FakeResend
from tests.fakes.server import Fault

EMAIL = OutgoingEmail(
    sender="Insighta <no-reply@insighta.test>",
    to="ada@example.com",
    subject="Your interview",
    text="Join here",
    html="<p>Join here</p>",
)


def mailer_for(url: str, *, timeout: float = 0.5, tries: int = 4) -> ResendMailer:
    return ResendMailer(
        api_key=API_KEY,
        api_url=url,
        timeout_seconds=timeout,
        policies=fast_policies(tries=tries, initial_delay=0.05),
    )


async def test_an_email_is_sent_with_its_idempotency_key(fake_resend: FakeResend) -> None:
    sent = await mailer_for(fake_resend.url).send(EMAIL, idempotency_key="invite:1")
    (delivery,) = fake_resend.deliveries
    assert sent.status is DeliveryStatus.SENT
    assert sent.provider_id == delivery["id"]
    assert delivery["idempotency_key"] == "invite:1"
    assert (delivery["from"], delivery["to"], delivery["subject"]) == (
        EMAIL.sender,
        [EMAIL.to],
        EMAIL.subject,
    )
    assert fake_resend.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"


async def test_failures_then_success_deliver_exactly_once(fake_resend: FakeResend) -> None:
    fake_resend.script(Fault.status(500), Fault.status(429, retry_after="0.2"), Fault.slow(1.5))
    sent = await mailer_for(fake_resend.url).send(EMAIL, idempotency_key="invite:2")
    assert len(fake_resend.requests) == 4
    assert fake_resend.gaps()[1] >= 0.2  # the Retry-After
    # The slow answer was accepted upstream but lost to our timeout: the retry with the same
    # key got the same email back instead of a second one.
    (delivery,) = fake_resend.deliveries
    assert sent.provider_id == delivery["id"]


@pytest.mark.parametrize("code", [400, 403, 422])
async def test_client_errors_are_not_retried(fake_resend: FakeResend, code: int) -> None:
    fake_resend.script(Fault.status(code))
    with pytest.raises(ServiceError) as raised:
        await mailer_for(fake_resend.url).send(EMAIL, idempotency_key="invite:3")
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_resend.requests) == 1
    assert fake_resend.deliveries == []


async def test_always_failing_gives_up_after_the_configured_tries(
    fake_resend: FakeResend,
) -> None:
    fake_resend.fail_always(Fault.status(503))
    with pytest.raises(ServiceError, match="send email is unavailable"):
        await mailer_for(fake_resend.url, tries=3).send(EMAIL, idempotency_key="invite:4")
    assert len(fake_resend.requests) == 3


async def test_a_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts: list[int] = []

    async def count(number: int) -> None:
        attempts.append(number)

    with pytest.raises(ServiceError) as raised:
        await mailer_for(f"http://127.0.0.1:{port}", tries=2).send(
            EMAIL, idempotency_key="invite:5", on_attempt=count
        )
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "connection" in str(raised.value).lower()
    assert attempts == [1, 2]


@pytest.mark.parametrize("body", [b"null", b'{"not": "an email id"}'])
async def test_an_answer_without_an_email_id_fails_at_once(
    fake_resend: FakeResend, body: bytes
) -> None:
    fake_resend.fail_always(Fault.malformed(body))
    with pytest.raises(ServiceError) as raised:
        await mailer_for(fake_resend.url).send(EMAIL, idempotency_key="invite:6")
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "malformed" in str(raised.value)
    assert len(fake_resend.requests) == 1
