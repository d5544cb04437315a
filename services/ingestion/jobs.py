"""Ingestion jobs as services hand them out, and reading them back."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final
from uuid import UUID

import asyncpg

from db import ingestion as ingestion_db
from services.ingestion.reasons import MAX_KEPT_ERRORS, REASON_ORDER, Reason, RowError


class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED)


@dataclass(frozen=True, slots=True)
class IngestionJob:
    """A job's committed state: every count covers exactly the batches committed so far."""

    id: UUID
    status: JobStatus
    file_name: str | None
    bytes_total: int
    bytes_read: int
    total_rows: int
    inserted: int
    skipped: int
    # Non-zero counts only, in the order reasons are checked.
    reasons: tuple[tuple[Reason, int], ...]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> "IngestionJob":
        status = JobStatus(record["status"])
        bytes_total = record["bytes_total"]
        return cls(
            id=record["id"],
            status=status,
            file_name=record["file_name"],
            bytes_total=bytes_total,
            bytes_read=(
                bytes_total
                if status is JobStatus.COMPLETED
                else min(record["checkpoint_offset"], bytes_total)
            ),
            total_rows=record["total_rows"],
            inserted=record["inserted"],
            skipped=record["skipped"],
            reasons=reason_counts(record["reasons"]),
            error=record["error"],
            created_at=record["created_at"],
            started_at=record["started_at"],
            updated_at=record["updated_at"],
            finished_at=record["finished_at"],
        )


def reason_counts(stored: Mapping[str, int]) -> tuple[tuple[Reason, int], ...]:
    return tuple(
        (reason, stored[reason.value]) for reason in REASON_ORDER if stored.get(reason.value)
    )


MAX_ERRORS_PAGE: Final = MAX_KEPT_ERRORS


async def get_job(pool: asyncpg.Pool, job_id: UUID) -> IngestionJob | None:
    async with pool.acquire() as conn:
        record = await ingestion_db.get_job(conn, job_id)
    return IngestionJob.from_record(record) if record is not None else None


async def row_errors(pool: asyncpg.Pool, job_id: UUID, *, first: int) -> list[RowError]:
    """The job's kept row errors (at most MAX_KEPT_ERRORS exist), by line."""
    async with pool.acquire() as conn:
        records = await ingestion_db.select_row_errors(conn, job_id=job_id, limit=first)
    return [RowError(r["line"], Reason(r["reason"]), r["column_name"], r["value"]) for r in records]
