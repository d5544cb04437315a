"""Thin GraphQL views of interview values; only fields that fetch have resolvers (loaders)."""

from datetime import datetime
from typing import Self
from uuid import UUID

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.permissions import FieldPermitted
from graph.interviews.enums import AssessmentStatus, EmailStatus, TranscriptSource
from services.email.outbox import OutboxEmail
from services.interviews import records
from services.interviews.sessions import StartedSession
from services.transcripts import turns as transcripts
from services.transcripts.turns import format_elapsed, speaker_label


@strawberry.type(description="What was extracted from a candidate's resume.")
class ResumeProfile:
    skills: list[str]
    years_of_experience: float | None
    education: list[str]
    summary: str
    model: str = strawberry.field(description='Who extracted it: a Gemini model, or "offline"')

    @classmethod
    def from_domain(cls, profile: records.ResumeProfile, model: str) -> Self:
        return cls(
            skills=list(profile.skills),
            years_of_experience=profile.years_of_experience,
            education=list(profile.education),
            summary=profile.summary,
            model=model,
        )


@strawberry.type(description="A person being interviewed, in one organisation.")
class Candidate:
    id: strawberry.ID
    name: str
    email: str
    resume_text: str | None
    has_resume_pdf: bool
    profile: ResumeProfile | None
    created_at: datetime

    @classmethod
    def from_domain(cls, candidate: records.Candidate) -> Self:
        profile = None
        if candidate.profile is not None:
            profile = ResumeProfile.from_domain(candidate.profile, candidate.profile_model or "")
        return cls(
            id=strawberry.ID(str(candidate.id)),
            name=candidate.name,
            email=candidate.email,
            resume_text=candidate.resume_text,
            has_resume_pdf=candidate.has_resume_pdf,
            profile=profile,
            created_at=candidate.created_at,
        )


@strawberry.type(description="One rubric criterion's score (1 poor .. 5 excellent).")
class AssessmentScore:
    criterion: str
    score: int
    rationale: str


@strawberry.type(description="The interview's assessment; its status is visible at every moment.")
class Assessment:
    status: AssessmentStatus
    summary: str | None
    attempts: int = strawberry.field(description="Upstream generation attempts, all runs counted")
    error: str | None = strawberry.field(description="Why it FAILED, if it did")
    updated_at: datetime
    strengths: list[str]
    concerns: list[str]
    recommendation: str | None = strawberry.field(
        description="strong_hire | hire | no_hire | strong_no_hire"
    )
    scores: list[AssessmentScore]
    model: str | None = strawberry.field(description='A Gemini model, or "offline"')

    @classmethod
    def from_domain(cls, assessment: records.Assessment) -> Self:
        return cls(
            status=assessment.status,
            summary=assessment.summary,
            attempts=assessment.attempts,
            error=assessment.error,
            updated_at=assessment.updated_at,
            strengths=list(assessment.strengths),
            concerns=list(assessment.concerns),
            recommendation=assessment.recommendation,
            scores=[
                AssessmentScore(criterion=s.criterion, score=s.score, rationale=s.rationale)
                for s in assessment.scores
            ],
            model=assessment.model,
        )


@strawberry.type(description="An email in the outbox.")
class EmailMessage:
    id: strawberry.ID
    kind: str = strawberry.field(description="invite | welcome | password_reset | user_invite")
    to: str
    subject: str
    text_body: str
    status: EmailStatus
    attempts: int
    last_error: str | None
    provider_id: str | None = strawberry.field(description="Resend's email id once SENT")
    interview_id: strawberry.ID | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_domain(cls, email: OutboxEmail) -> Self:
        return cls(
            id=strawberry.ID(str(email.id)),
            kind=email.kind,
            to=email.to,
            subject=email.subject,
            text_body=email.text_body,
            status=email.status,
            attempts=email.attempts,
            last_error=email.last_error,
            provider_id=email.provider_id,
            interview_id=strawberry.ID(str(email.interview_id)) if email.interview_id else None,
            created_at=email.created_at,
            sent_at=email.sent_at,
        )


@strawberry.type(description="An interview of one candidate for one role.")
class Interview:
    id: strawberry.ID
    role_title: str
    job_description: str
    status: str = strawberry.field(
        description="draft | scheduled | in_progress | completed | cancelled | needs_attention"
    )
    questions: list[str]
    questions_model: str | None = strawberry.field(description='A Gemini model, or "offline"')
    created_at: datetime
    updated_at: datetime
    interview_id: strawberry.Private[UUID]
    candidate_id: strawberry.Private[UUID]

    @classmethod
    def from_domain(cls, interview: records.Interview) -> Self:
        return cls(
            id=strawberry.ID(str(interview.id)),
            role_title=interview.role_title,
            job_description=interview.job_description,
            status=interview.status.value,
            questions=list(interview.questions),
            questions_model=interview.questions_model,
            created_at=interview.created_at,
            updated_at=interview.updated_at,
            interview_id=interview.id,
            candidate_id=interview.candidate_id,
        )

    @strawberry.field(
        description="None until the session completes. Agent tokens: FORBIDDEN",
        permission_classes=[FieldPermitted],
    )
    async def assessment(self, info: Info[Context, None]) -> Assessment | None:
        found = await info.context.loaders.assessment_by_interview.load(self.interview_id)
        return Assessment.from_domain(found) if found else None

    @strawberry.field(
        description="Who is interviewed. Agent tokens: FORBIDDEN",
        permission_classes=[FieldPermitted],
    )
    async def candidate(self, info: Info[Context, None]) -> Candidate:
        found = await info.context.loaders.candidate_by_id.load(self.candidate_id)
        assert found is not None  # a foreign key guarantees it
        return Candidate.from_domain(found)

    @strawberry.field(
        description="The invitation email and its delivery status, once queued. Agent tokens: "
        "FORBIDDEN",
        permission_classes=[FieldPermitted],
    )
    async def invite(self, info: Info[Context, None]) -> EmailMessage | None:
        found = await info.context.loaders.invite_by_interview.load(self.interview_id)
        return EmailMessage.from_domain(found) if found else None

    @strawberry.field(
        description="The whole transcript: the stored turns, filled in from the session's "
        "transcript JSON (the same function as the `transcript` query)"
    )
    async def transcript(self, info: Info[Context, None]) -> "Transcript":
        found = await info.context.loaders.transcript_by_interview.load(self.interview_id)
        return Transcript.from_domain(found)


@strawberry.type(description="A live interview session: its LiveKit room and the join tokens.")
class InterviewSession:
    id: strawberry.ID
    interview_id: strawberry.ID
    room_name: str
    candidate_token: str = strawberry.field(description="LiveKit access token for the candidate")
    agent_token: str = strawberry.field(description="LiveKit access token for the AI interviewer")
    agent_api_token: str = strawberry.field(
        description="Bearer token (role agent) for appendTranscriptTurn and "
        "completeInterviewSession on this interview only"
    )
    livekit_url: str | None = strawberry.field(description="Where to connect; null offline")
    status: str = strawberry.field(description="active | completed")
    started_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def from_domain(cls, started: StartedSession) -> Self:
        session = started.session
        return cls(
            id=strawberry.ID(str(session.id)),
            interview_id=strawberry.ID(str(session.interview_id)),
            room_name=session.room_name,
            candidate_token=started.candidate_token,
            agent_token=started.agent_token,
            agent_api_token=started.agent_api_token,
            livekit_url=started.livekit_url,
            status=session.status,
            started_at=session.started_at,
            completed_at=session.completed_at,
        )


@strawberry.type(description="One turn of an interview transcript.")
class TranscriptTurn:
    id: strawberry.ID
    sequence_no: int
    speaker: str = strawberry.field(description="ai | candidate | interviewer | unknown")
    speaker_label: str = strawberry.field(
        description='"Meet Mind" | "Candidate" | "Interviewer" | "Unknown"'
    )
    text: str
    timestamp: str = strawberry.field(description="HH:MM:SS elapsed since the first turn")
    timestamp_sec: int

    @classmethod
    def from_domain(cls, turn: records.StoredTurn, first_timestamp_sec: int) -> Self:
        return cls(
            id=strawberry.ID(str(turn.id)),
            sequence_no=turn.sequence_no,
            speaker=turn.speaker.value,
            speaker_label=speaker_label(turn.speaker.value),
            text=turn.text,
            timestamp=format_elapsed(turn.timestamp_sec - first_timestamp_sec),
            timestamp_sec=turn.timestamp_sec,
        )

    @classmethod
    def from_presented(cls, turn: transcripts.TranscriptTurn) -> Self:
        """A turn as the transcript fallback presents it (label and elapsed time computed)."""
        return cls(
            id=strawberry.ID(str(turn.id)),
            sequence_no=turn.sequence_no,
            speaker=turn.speaker,
            speaker_label=turn.speaker_label,
            text=turn.text,
            timestamp=turn.timestamp,
            timestamp_sec=turn.timestamp_sec,
        )


@strawberry.type(description="An interview's transcript and which data path served it.")
class Transcript:
    interview_id: strawberry.ID
    source: TranscriptSource
    turns: list[TranscriptTurn]

    @classmethod
    def from_domain(cls, transcript: transcripts.Transcript) -> Self:
        return cls(
            interview_id=strawberry.ID(str(transcript.interview_id)),
            source=transcript.source,
            turns=[TranscriptTurn.from_presented(turn) for turn in transcript.turns],
        )
