"""Per-request dataloaders for interview fields that fetch (built in get_context)."""

from dataclasses import dataclass
from uuid import UUID

from strawberry.dataloader import DataLoader

from services.email.outbox import OutboxEmail
from services.interviews import batches
from services.interviews.records import Assessment, Candidate
from services.platform.database import ConnectionPool
from services.transcripts.loading import transcripts_by_interview
from services.transcripts.turns import Transcript


class AssessmentByInterviewLoader(DataLoader[UUID, Assessment | None]):
    def __init__(self, pool: ConnectionPool) -> None:
        super().__init__(load_fn=lambda ids: batches.assessments_by_interview(pool, ids))


class CandidateByIdLoader(DataLoader[UUID, Candidate | None]):
    def __init__(self, pool: ConnectionPool) -> None:
        super().__init__(load_fn=lambda ids: batches.candidates_by_id(pool, ids))


class InviteByInterviewLoader(DataLoader[UUID, OutboxEmail | None]):
    def __init__(self, pool: ConnectionPool) -> None:
        super().__init__(load_fn=lambda ids: batches.invites_by_interview(pool, ids))


class TranscriptByInterviewLoader(DataLoader[UUID, Transcript]):
    """`Interview.transcript` for every interview in a document: two statements in all."""

    def __init__(self, pool: ConnectionPool) -> None:
        super().__init__(load_fn=lambda ids: transcripts_by_interview(pool, ids))


@dataclass(frozen=True, slots=True)
class InterviewLoaders:
    assessment_by_interview: AssessmentByInterviewLoader
    candidate_by_id: CandidateByIdLoader
    invite_by_interview: InviteByInterviewLoader
    transcript_by_interview: TranscriptByInterviewLoader

    @classmethod
    def build(cls, pool: ConnectionPool) -> "InterviewLoaders":
        return cls(
            assessment_by_interview=AssessmentByInterviewLoader(pool),
            candidate_by_id=CandidateByIdLoader(pool),
            invite_by_interview=InviteByInterviewLoader(pool),
            transcript_by_interview=TranscriptByInterviewLoader(pool),
        )
