"""SQL for the cached turn embeddings (transcript_embeddings)."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from db.pool import Connection

SELECT_EMBEDDINGS = """
select sequence_no, text_hash, vector
  from transcript_embeddings
 where interview_id = $1 and model = $2
"""

# A turn re-embedded because its text changed replaces the old vector.
UPSERT_EMBEDDINGS = """
insert into transcript_embeddings (interview_id, sequence_no, model, text_hash, vector)
select $1, e.sequence_no, $2, e.text_hash, e.vector::real[]
  from unnest($3::integer[], $4::bytea[], $5::text[]) as e(sequence_no, text_hash, vector)
on conflict (interview_id, sequence_no, model)
do update set text_hash = excluded.text_hash, vector = excluded.vector
"""


async def select_embeddings(
    conn: Connection, interview_id: UUID, model: str
) -> list[asyncpg.Record]:
    """(sequence_no, text_hash, vector) of every cached turn of the interview for `model`."""
    return await conn.fetch(SELECT_EMBEDDINGS, interview_id, model)


async def upsert_embeddings(
    conn: Connection,
    interview_id: UUID,
    model: str,
    rows: Sequence[tuple[int, bytes, Sequence[float]]],
) -> None:
    """Store (sequence_no, text_hash, vector) rows, replacing older vectors of those turns."""
    if not rows:
        return
    await conn.execute(
        UPSERT_EMBEDDINGS,
        interview_id,
        model,
        [row[0] for row in rows],
        [row[1] for row in rows],
        # Vectors travel as array literals: unnest cannot take a 2-D array of ragged rows.
        ["{" + ",".join(repr(float(value)) for value in row[2]) + "}" for row in rows],
    )
