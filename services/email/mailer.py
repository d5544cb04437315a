"""Sending one email, behind a small protocol: Resend, or the offline outbox log."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

OnAttempt = Callable[[int], Awaitable[None]]


class DeliveryStatus(Enum):
    SENT = "SENT"  # accepted by the provider
    LOGGED = "LOGGED"  # offline: kept in the outbox, readable by admins, not sent


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    sender: str
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class SentEmail:
    status: DeliveryStatus
    provider_id: str | None


class Mailer(Protocol):
    async def send(
        self, email: OutgoingEmail, *, idempotency_key: str, on_attempt: OnAttempt | None = None
    ) -> SentEmail:
        """Deliver once per `idempotency_key`, however often called (the provider dedups)."""


class OfflineMailer:
    """No provider configured: nothing leaves the machine; the outbox row is the record."""

    async def send(
        self, email: OutgoingEmail, *, idempotency_key: str, on_attempt: OnAttempt | None = None
    ) -> SentEmail:
        if on_attempt is not None:
            await on_attempt(1)
        return SentEmail(status=DeliveryStatus.LOGGED, provider_id=None)
