"""Root fields for CSV ingestion: upload, read a job, follow a job (admin only)."""

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted
from graph.core.uploads import UploadedFile
from graph.ingestion.lookup import require_ingestion
from graph.ingestion.types import IngestionJob
from services.errors import bad_input


@strawberry.type
class IngestionQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="One ingestion job by id, or null if there is none.",
    )
    async def ingestion_job(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> IngestionJob | None:
        job = await require_ingestion(info.context).job(
            parse_id(id, field="id", kind="ingestion job")
        )
        if job is None:
            return None
        # Whoever sees a job's progress may read the rows it reports next.
        await info.context.reads.note_write(info.context.caller)
        return IngestionJob.from_domain(job)


@strawberry.type
class IngestionMutation:
    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Upload a CSV of profiles (GraphQL multipart request, with an "
        "`Apollo-Require-Preflight` header). Returns at once with the job QUEUED; the work goes "
        "on in the background (follow it with `ingestionJob` or `ingestionProgress`).",
    )
    async def ingest_profiles(self, info: Info[Context, None], file: Upload) -> IngestionJob:
        if not isinstance(file, UploadedFile):
            raise bad_input("send `file` as a multipart upload", field="file")
        try:
            job = await require_ingestion(info.context).submit(
                file_name=file.filename, source=file.file
            )
        finally:
            await file.close()
        return IngestionJob.from_domain(job)


@strawberry.type
class IngestionSubscription:
    @strawberry.subscription(
        permission_classes=[Permitted],
        description="The job's current state at once, then every committed change; the stream "
        "ends after the terminal state (COMPLETED or FAILED).",
    )
    async def ingestion_progress(
        self, info: Info[Context, None], job_id: strawberry.ID
    ) -> AsyncGenerator[IngestionJob, None]:
        follow = require_ingestion(info.context).follow(
            parse_id(job_id, field="jobId", kind="ingestion job")
        )
        async with aclosing(follow) as jobs:
            async for job in jobs:
                await info.context.reads.note_write(info.context.caller)
                yield IngestionJob.from_domain(job)
