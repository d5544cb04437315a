"""Per-request dataloaders for interview fields that fetch (built in get_context)."""

from functools import cached_property
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


class InterviewLoaders:
    """This request's loaders, each made when a field first asks for it: most requests read
    no interview, and four loaders made for each of them were ~1% of an uncached page."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    @classmethod
    def build(cls, pool: ConnectionPool) -> "InterviewLoaders":
        return cls(pool)

    @cached_property
    def assessment_by_interview(self) -> AssessmentByInterviewLoader:
        return AssessmentByInterviewLoader(self._pool)

    @cached_property
    def candidate_by_id(self) -> CandidateByIdLoader:
        return CandidateByIdLoader(self._pool)

    @cached_property
    def invite_by_interview(self) -> InviteByInterviewLoader:
        return InviteByInterviewLoader(self._pool)

    @cached_property
    def transcript_by_interview(self) -> TranscriptByInterviewLoader:
        return TranscriptByInterviewLoader(self._pool)
