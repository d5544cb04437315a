"""GraphQL enums for ingestion: the service enums, registered with Strawberry."""

from typing import TypeAlias

import strawberry

from services.ingestion import jobs

strawberry.enum(
    jobs.JobStatus,
    name="IngestionStatus",
    description="QUEUED until a server process takes the job; COMPLETED and FAILED are final.",
)

IngestionStatus: TypeAlias = jobs.JobStatus
