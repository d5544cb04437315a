"""SQL for the recruiter assistant's chat history (chat_messages)."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from db.pool import Connection

# clock_timestamp(), not now(): the question and the answer are stored in one transaction and
# must still sort question first.
INSERT_MESSAGE = """
insert into chat_messages (interview_id, role, author, content, created_at)
values ($1, $2, $3, $4, clock_timestamp())
returning id, interview_id, role, author, content, created_at
"""

# Oldest first; keyset after the message `$2` (null: from the start).
SELECT_MESSAGES = """
select m.id, m.interview_id, m.role, m.author, m.content, m.created_at
  from chat_messages m
 where m.interview_id = $1
   and ($2::uuid is null
        or (m.created_at, m.id) > (select a.created_at, a.id
                                     from chat_messages a
                                    where a.id = $2 and a.interview_id = $1))
 order by m.created_at, m.id
 limit $3
"""

MESSAGE_EXISTS = "select exists (select 1 from chat_messages where id = $1 and interview_id = $2)"


async def insert_messages(
    conn: Connection, interview_id: UUID, messages: Sequence[tuple[str, str | None, str]]
) -> list[asyncpg.Record]:
    """Store (role, author, content) messages in order; the stored rows."""
    stored = []
    for role, author, content in messages:
        row = await conn.fetchrow(INSERT_MESSAGE, interview_id, role, author, content)
        assert row is not None
        stored.append(row)
    return stored


async def select_messages(
    conn: Connection, interview_id: UUID, *, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_MESSAGES, interview_id, after, limit)


async def message_exists(conn: Connection, interview_id: UUID, message_id: UUID) -> bool:
    return bool(await conn.fetchval(MESSAGE_EXISTS, message_id, interview_id))
