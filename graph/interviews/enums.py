"""GraphQL enums for interviews: the service enums, registered with Strawberry."""

from typing import TypeAlias

import strawberry

from services.email import outbox
from services.interviews import records

strawberry.enum(
    records.AssessmentStatus,
    name="AssessmentStatus",
    description="PENDING queued, GENERATING a worker holds it, then COMPLETED or FAILED",
)
strawberry.enum(
    outbox.EmailStatus,
    name="EmailStatus",
    description="QUEUED, SENDING, SENT (accepted by Resend), FAILED, or LOGGED (offline mode: "
    "kept in the outbox, not sent)",
)

AssessmentStatus: TypeAlias = records.AssessmentStatus
EmailStatus: TypeAlias = outbox.EmailStatus
