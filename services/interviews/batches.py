"""Batch reads for per-request dataloaders: one statement per batch, results in key order."""

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from db import emails as emails_db
from db import interviews as interviews_db
from services.email.outbox import OutboxEmail
from services.interviews.records import Assessment, Candidate


async def assessments_by_interview(
    pool: asyncpg.Pool, interview_ids: Sequence[UUID]
) -> list[Assessment | None]:
    async with pool.acquire() as conn:
        rows = await interviews_db.select_assessments_by_interview_ids(conn, interview_ids)
    found = {row["interview_id"]: Assessment.from_row(row) for row in rows}
    return [found.get(interview_id) for interview_id in interview_ids]


async def candidates_by_id(
    pool: asyncpg.Pool, candidate_ids: Sequence[UUID]
) -> list[Candidate | None]:
    async with pool.acquire() as conn:
        rows = await interviews_db.select_candidates_by_ids(conn, candidate_ids)
    found = {row["id"]: Candidate.from_row(row) for row in rows}
    return [found.get(candidate_id) for candidate_id in candidate_ids]


async def invites_by_interview(
    pool: asyncpg.Pool, interview_ids: Sequence[UUID]
) -> list[OutboxEmail | None]:
    async with pool.acquire() as conn:
        rows = await emails_db.select_invites_by_interview_ids(conn, interview_ids)
    found = {row["interview_id"]: OutboxEmail.from_row(row) for row in rows}
    return [found.get(interview_id) for interview_id in interview_ids]
