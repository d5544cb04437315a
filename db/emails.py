"""SQL for the email outbox: one row per email, keyed by its idempotency key."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from db.pool import Connection

# The same key twice is the same email: the second insert returns nothing.
INSERT_EMAIL = """
insert into email_outbox (idempotency_key, kind, organisation_id, interview_id, to_address,
                          subject, text_body, html_body)
values ($1, $2, $3, $4, $5, $6, $7, $8)
    on conflict (idempotency_key) do nothing
returning id, idempotency_key, kind, organisation_id, interview_id, to_address,
       subject, text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
"""

GET_EMAIL_BY_KEY = """
select id, idempotency_key, kind, organisation_id, interview_id, to_address,
       subject, text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
  from email_outbox
 where idempotency_key = $1
"""

GET_EMAIL = """
select id, idempotency_key, kind, organisation_id, interview_id, to_address,
       subject, text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
  from email_outbox
 where id = $1
"""

# Only a FAILED email goes back in the queue; a queued, sending or sent one stays as it is.
REQUEUE_FAILED_EMAIL = """
update email_outbox
   set status = 'QUEUED',
       last_error = null,
       updated_at = now()
 where id = $1
   and status = 'FAILED'
returning id, idempotency_key, kind, organisation_id, interview_id, to_address,
       subject, text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
"""

START_SENDING = """
update email_outbox
   set status = 'SENDING',
       updated_at = now()
 where id = $1
   and status in ('QUEUED', 'SENDING')
returning id, idempotency_key, kind, organisation_id, interview_id, to_address,
       subject, text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
"""

COUNT_EMAIL_ATTEMPT = """
update email_outbox
   set attempts = attempts + 1,
       updated_at = now()
 where id = $1
"""

MARK_EMAIL_DELIVERED = """
update email_outbox
   set status = $2,
       provider_id = $3,
       last_error = null,
       sent_at = now(),
       updated_at = now()
 where id = $1
   and status = 'SENDING'
"""

MARK_EMAIL_FAILED = """
update email_outbox
   set status = 'FAILED',
       last_error = $2,
       updated_at = now()
 where id = $1
   and status in ('QUEUED', 'SENDING')
"""

# An interview's emails not yet handed to the provider, withdrawn (its job then finds nothing
# to send); one already SENDING may be in flight and is left to end as it does.
WITHDRAW_QUEUED_EMAILS = """
update email_outbox
   set status = 'FAILED',
       last_error = $2,
       updated_at = now()
 where interview_id = $1
   and status = 'QUEUED'
"""

# Newest first; $1 status or null for all.
SELECT_OUTBOX = """
select id, idempotency_key, kind, organisation_id, interview_id, to_address,
       subject, text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
  from email_outbox
 where ($1::text is null or status = $1)
 order by created_at desc, id desc
 limit $2
"""

# The latest invitation of each interview.
SELECT_INVITES_BY_INTERVIEW_IDS = """
select distinct on (interview_id)
       id, idempotency_key, kind, organisation_id, interview_id, to_address, subject,
       text_body, html_body, status, attempts, last_error, provider_id, created_at,
       updated_at, sent_at
  from email_outbox
 where interview_id = any($1::uuid[])
   and kind = 'invite'
 order by interview_id, created_at desc
"""


async def insert_email(
    conn: Connection,
    *,
    idempotency_key: str,
    kind: str,
    organisation_id: UUID | None,
    interview_id: UUID | None,
    to_address: str,
    subject: str,
    text_body: str,
    html_body: str,
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        INSERT_EMAIL,
        idempotency_key,
        kind,
        organisation_id,
        interview_id,
        to_address,
        subject,
        text_body,
        html_body,
    )


async def get_email_by_key(conn: Connection, idempotency_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_EMAIL_BY_KEY, idempotency_key)


async def get_email(conn: Connection, email_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_EMAIL, email_id)


async def requeue_failed_email(conn: Connection, email_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(REQUEUE_FAILED_EMAIL, email_id)


async def start_sending(conn: Connection, email_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(START_SENDING, email_id)


async def count_email_attempt(conn: Connection, email_id: UUID) -> None:
    await conn.execute(COUNT_EMAIL_ATTEMPT, email_id)


async def mark_email_delivered(
    conn: Connection, email_id: UUID, *, status: str, provider_id: str | None
) -> bool:
    return await conn.execute(MARK_EMAIL_DELIVERED, email_id, status, provider_id) == "UPDATE 1"


async def mark_email_failed(conn: Connection, email_id: UUID, *, error: str) -> bool:
    return await conn.execute(MARK_EMAIL_FAILED, email_id, error) == "UPDATE 1"


async def select_outbox(
    conn: Connection, *, status: str | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_OUTBOX, status, limit)


async def select_invites_by_interview_ids(
    conn: Connection, interview_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_INVITES_BY_INTERVIEW_IDS, list(interview_ids))


async def withdraw_queued_emails(conn: Connection, interview_id: UUID, *, reason: str) -> int:
    status = await conn.execute(WITHDRAW_QUEUED_EMAILS, interview_id, reason)
    return int(status.rpartition(" ")[2])
