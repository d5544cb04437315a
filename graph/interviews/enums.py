"""GraphQL enums for interviews: the service enums, registered with Strawberry."""

from typing import TypeAlias

import strawberry

from services.email import outbox
from services.interviews import records
from services.transcripts import exports, turns

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
strawberry.enum(
    turns.TranscriptSource,
    name="TranscriptSource",
    description="Which data path served a transcript: TURNS (the stored turns, filled in from "
    "the session JSON where they lack a turn), SESSION_JSON (rebuilt from the session JSON "
    "only) or NONE (no turns)",
)
strawberry.enum(exports.ExportFormat, name="ExportFormat", description="TEXT, JSON or CSV")

AssessmentStatus: TypeAlias = records.AssessmentStatus
EmailStatus: TypeAlias = outbox.EmailStatus
TranscriptSource: TypeAlias = turns.TranscriptSource
ExportFormat: TypeAlias = exports.ExportFormat
