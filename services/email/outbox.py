"""The email outbox: queue an email durably, deliver it from a background job, exactly once.

An email is a row keyed by its idempotency key (queuing the same key again is the same email)
plus a job that delivers it. Delivery goes through the mailer with that key, so a retry after
a lost answer, or after the worker died mid-send, is deduplicated by the provider too.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, Self
from uuid import UUID

import asyncpg

from db import emails as emails_db
from db import jobs as jobs_db
from db.pool import Connection
from services.email.mailer import Mailer, OutgoingEmail
from services.email.templates import EmailContent
from services.errors import ServiceError
from services.jobs.worker import Job, Lease
from services.platform.rows import Row

logger = logging.getLogger(__name__)

EMAIL_JOB: Final = "email"
MAX_OUTBOX_PAGE: Final = 100


class EmailStatus(Enum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    LOGGED = "LOGGED"


@dataclass(frozen=True, slots=True)
class OutboxEmail:
    id: UUID
    idempotency_key: str
    kind: str
    interview_id: UUID | None
    to: str
    subject: str
    text_body: str
    status: EmailStatus
    attempts: int
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            idempotency_key=row["idempotency_key"],
            kind=row["kind"],
            interview_id=row["interview_id"],
            to=row["to_address"],
            subject=row["subject"],
            text_body=row["text_body"],
            status=EmailStatus(row["status"]),
            attempts=row["attempts"],
            last_error=row["last_error"],
            provider_id=row["provider_id"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
        )


async def queue_email(
    conn: Connection,
    content: EmailContent,
    *,
    idempotency_key: str,
    organisation_id: UUID | None = None,
    interview_id: UUID | None = None,
) -> OutboxEmail:
    """The outbox row for this key, queued for delivery; call inside the caller's transaction.

    A key already queued, sending or sent is left alone; a FAILED one is queued again.
    """
    row = await emails_db.insert_email(
        conn,
        idempotency_key=idempotency_key,
        kind=content.kind.value,
        organisation_id=organisation_id,
        interview_id=interview_id,
        to_address=content.to,
        subject=content.subject,
        text_body=content.text,
        html_body=content.html,
    )
    if row is None:
        existing = await emails_db.get_email_by_key(conn, idempotency_key)
        assert existing is not None
        if existing["status"] != EmailStatus.FAILED.value:
            return OutboxEmail.from_row(existing)
        row = await emails_db.requeue_failed_email(conn, existing["id"])
        assert row is not None
    await jobs_db.insert_job(
        conn, kind=EMAIL_JOB, key=str(row["id"]), payload={"email_id": str(row["id"])}
    )
    return OutboxEmail.from_row(row)


async def list_outbox(
    pool: asyncpg.Pool, *, status: EmailStatus | None, limit: int
) -> list[OutboxEmail]:
    async with pool.acquire() as conn:
        rows = await emails_db.select_outbox(
            conn, status=status.value if status else None, limit=limit
        )
    return [OutboxEmail.from_row(row) for row in rows]


class EmailDelivery:
    """The job handler that sends one queued email."""

    def __init__(self, pool: asyncpg.Pool, mailer: Mailer, *, sender: str) -> None:
        self.pool, self.mailer, self.sender = pool, mailer, sender

    async def run(self, job: Job, lease: Lease) -> None:
        email_id = UUID(job.payload["email_id"])
        async with self.pool.acquire() as conn:
            row = await emails_db.start_sending(conn, email_id)
        if row is None:  # sent, logged or failed already: nothing left to do
            async with self.pool.acquire() as conn:
                await lease.finish(conn)
            return

        async def count_attempt(_: int) -> None:
            async with self.pool.acquire() as conn:
                await emails_db.count_email_attempt(conn, email_id)

        email = OutgoingEmail(
            sender=self.sender,
            to=row["to_address"],
            subject=row["subject"],
            text=row["text_body"],
            html=row["html_body"],
        )
        try:
            sent = await self.mailer.send(
                email, idempotency_key=row["idempotency_key"], on_attempt=count_attempt
            )
        except ServiceError as error:
            reason = str(error.__cause__ or error)
            async with self.pool.acquire() as conn, conn.transaction():
                await emails_db.mark_email_failed(conn, email_id, error=reason)
                await lease.finish(conn, failed_with=reason)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await emails_db.mark_email_delivered(
                conn, email_id, status=sent.status.value, provider_id=sent.provider_id
            )
            await lease.finish(conn)
        logger.info(
            "email delivered",
            extra={"email_id": str(email_id), "status": sent.status.value, "kind": row["kind"]},
        )

    async def abandon(self, job: Job, lease: Lease, reason: str) -> None:
        email_id = UUID(job.payload["email_id"])
        async with self.pool.acquire() as conn, conn.transaction():
            await emails_db.mark_email_failed(conn, email_id, error=reason)
            await lease.finish(conn, failed_with=reason)
