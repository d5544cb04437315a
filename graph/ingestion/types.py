"""Thin GraphQL views of ingestion jobs."""

from datetime import datetime
from typing import Final, Self
from uuid import UUID

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.ingestion.enums import IngestionStatus
from graph.ingestion.lookup import require_ingestion
from services.ingestion import jobs
from services.ingestion.reasons import MAX_KEPT_ERRORS
from services.ingestion.reasons import RowError as DomainRowError

DEFAULT_ERRORS: Final = 100


@strawberry.type(description="How many skipped rows one reason accounts for.")
class ReasonCount:
    reason: str = strawberry.field(
        description="malformed_row, missing_fields, invalid_gender, invalid_age, "
        "invalid_country, invalid_probability, invalid_age_group or duplicate_name"
    )
    count: int


@strawberry.type(description="A skipped row: where it is, why, and the column and value at fault.")
class RowError:
    line: int = strawberry.field(description="1-based physical line where the row starts")
    reason: str
    column: str | None
    value: str | None = strawberry.field(description="As found, cut to 200 characters")

    @classmethod
    def from_domain(cls, error: DomainRowError) -> Self:
        return cls(
            line=error.line, reason=error.reason.value, column=error.column, value=error.value
        )


@strawberry.type(
    description="A CSV upload being ingested. Counts cover exactly the batches committed so far: "
    "totalRows = inserted + skipped, and `reasons` sums to `skipped`."
)
class IngestionJob:
    id: strawberry.ID = strawberry.field(description="UUIDv7")
    status: IngestionStatus
    file_name: str | None = strawberry.field(description="As the upload named it")
    bytes_total: int | None = strawberry.field(description="Size of the upload")
    bytes_read: int = strawberry.field(description="Bytes of the upload committed so far")
    total_rows: int = strawberry.field(description="Data rows seen so far (header excluded)")
    inserted: int = strawberry.field(description="Rows stored as new profiles")
    skipped: int = strawberry.field(description="Rows not stored, each under one reason")
    reasons: list[ReasonCount] = strawberry.field(description="Non-zero reasons, in check order")
    error: str | None = strawberry.field(description="Why the job FAILED, if it did")
    created_at: datetime
    started_at: datetime | None = strawberry.field(description="When a server first took it")
    finished_at: datetime | None
    job_id: strawberry.Private[UUID]

    @classmethod
    def from_domain(cls, job: jobs.IngestionJob) -> Self:
        return cls(
            id=strawberry.ID(str(job.id)),
            status=job.status,
            file_name=job.file_name,
            bytes_total=job.bytes_total,
            bytes_read=job.bytes_read,
            total_rows=job.total_rows,
            inserted=job.inserted,
            skipped=job.skipped,
            reasons=[ReasonCount(reason=r.value, count=n) for r, n in job.reasons],
            error=job.error,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            job_id=job.id,
        )

    @strawberry.field(
        description=f"The first `first` skipped rows by line (0..{MAX_KEPT_ERRORS}; "
        f"a job keeps its first {MAX_KEPT_ERRORS})."
    )
    async def errors(self, info: Info[Context, None], first: int | None = 100) -> list[RowError]:
        # One job per response (no list of jobs exists), so one statement; a per-request
        # dataloader would also serve stale errors to subscriptions, whose context lives on.
        count = DEFAULT_ERRORS if first is None else first
        kept = await require_ingestion(info.context).row_errors(self.job_id, first=count)
        return [RowError.from_domain(error) for error in kept]
