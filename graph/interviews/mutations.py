"""Interview mutations: each turns inputs into a service call and the result into a type."""

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted, require_principal
from graph.interviews.inputs import CandidateInput, InterviewInput, TranscriptTurnInput
from graph.interviews.types import Candidate, Interview, InterviewSession, TranscriptTurn
from services.interviews import assessments, candidates, interviews, sessions


@strawberry.type
class InterviewsMutation:
    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Create a candidate; with a resume, its profile is extracted (Gemini, or "
        "the offline provider). UPSTREAM_UNAVAILABLE if the model cannot be reached: nothing "
        "is stored then.",
    )
    async def create_candidate(self, info: Info[Context, None], input: CandidateInput) -> Candidate:
        services = info.context.interviews
        candidate = await candidates.create_candidate(
            services.pool,
            services.ai,
            require_principal(info.context),
            await input.to_new_candidate(),
        )
        return Candidate.from_domain(candidate)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Create an interview with generated questions (status draft).",
    )
    async def create_interview(self, info: Info[Context, None], input: InterviewInput) -> Interview:
        services = info.context.interviews
        interview = await interviews.create_interview(
            services.pool, services.ai, require_principal(info.context), input.to_new_interview()
        )
        return Interview.from_domain(interview)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Start (or rejoin) the live session: the LiveKit room and tokens for the "
        "candidate and the AI interviewer. The interview becomes in_progress.",
    )
    async def start_interview_session(
        self, info: Info[Context, None], interview_id: strawberry.ID
    ) -> InterviewSession:
        services = info.context.interviews
        started = await sessions.start_session(
            services.pool,
            services.rooms,
            services.livekit_keys,
            services.server_secret,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
        )
        return InterviewSession.from_domain(started)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Store one transcript turn (the interview's agent token, its recruiters or "
        "an admin). Idempotent on sequenceNo. A new turn on a completed interview queues a "
        "fresh assessment.",
    )
    async def append_transcript_turn(
        self, info: Info[Context, None], interview_id: strawberry.ID, turn: TranscriptTurnInput
    ) -> TranscriptTurn:
        services = info.context.interviews
        stored, first_timestamp = await sessions.append_turn(
            services.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
            turn.to_new_turn(),
        )
        return TranscriptTurn.from_domain(stored, first_timestamp)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="End the live session, keep the session transcript JSON (a list of "
        "{speaker, content|text, sequence_no?, timestamp_sec}) and queue the assessment. "
        "Calling it again is harmless; a new transcript queues a fresh assessment.",
    )
    async def complete_interview_session(
        self,
        info: Info[Context, None],
        interview_id: strawberry.ID,
        transcript_json: JSON | None = None,
    ) -> Interview:
        services = info.context.interviews
        interview = await sessions.complete_session(
            services.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
            transcript_json,
        )
        return Interview.from_domain(interview)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Queue a FAILED assessment again (BAD_USER_INPUT for any other status).",
    )
    async def retry_assessment(
        self, info: Info[Context, None], interview_id: strawberry.ID
    ) -> Interview:
        services = info.context.interviews
        interview = await assessments.retry_assessment(
            services.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
        )
        return Interview.from_domain(interview)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Queue the invitation email with the join link: delivered durably, retried, "
        "sent once per interview (calling again does not send a second one).",
    )
    async def send_interview_invite(
        self, info: Info[Context, None], interview_id: strawberry.ID
    ) -> Interview:
        services = info.context.interviews
        interview = await interviews.send_invite(
            services.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
            join_url_template=services.settings.interview_join_url,
        )
        return Interview.from_domain(interview)

    @strawberry.mutation(
        permission_classes=[Permitted],
        description="Cancel an interview that has not taken place (draft, scheduled or "
        "in_progress): a queued invitation is withdrawn, live transcript followers end, and "
        "sessions, turns and invitations are refused from then on. Cancelling again is "
        "harmless; a completed interview is BAD_USER_INPUT.",
    )
    async def cancel_interview(
        self, info: Info[Context, None], interview_id: strawberry.ID
    ) -> Interview:
        services = info.context.interviews
        interview = await interviews.cancel_interview(
            services.pool,
            require_principal(info.context),
            parse_id(interview_id, field="interviewId", kind="interview"),
        )
        return Interview.from_domain(interview)
