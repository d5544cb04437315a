"""Interview inputs, turned into service dataclasses at the edge (the services re-check)."""

import strawberry
from strawberry.file_uploads import Upload

from graph.core.ids import parse_id
from graph.core.uploads import UploadedFile
from services.errors import bad_input
from services.interviews.candidates import MAX_RESUME_PDF_BYTES, NewCandidate
from services.interviews.interviews import DEFAULT_QUESTION_COUNT, NewInterview
from services.interviews.sessions import MAX_SEQUENCE_NO, NewTurn


@strawberry.input(description="A new candidate; the resume's profile is extracted on creation.")
class CandidateInput:
    name: str
    email: str
    resume_text: str | None = None
    resume_pdf: Upload | None = strawberry.field(
        default=None,
        description="The resume as a PDF (GraphQL multipart request, with the "
        "`Apollo-Require-Preflight: true` header); sent to Gemini for extraction",
    )
    organisation: str | None = strawberry.field(
        default=None,
        description="Admins only: the organisation (slug) the candidate belongs to; "
        "recruiters always create in their own",
    )
    confirm_self_service: bool = strawberry.field(
        default=False,
        description="Platform admins: place the candidate in an organisation founded by a "
        "self-service sign-up. Without it that is BAD_USER_INPUT naming the organisation's "
        "admins (anyone can sign up under any free slug).",
    )

    async def to_new_candidate(self) -> NewCandidate:
        return NewCandidate(
            name=self.name,
            email=self.email,
            resume_text=self.resume_text,
            resume_pdf=await _read_pdf(self.resume_pdf) if self.resume_pdf is not None else None,
            organisation=self.organisation,
            confirm_self_service=self.confirm_self_service,
        )


async def _read_pdf(upload: Upload) -> bytes:
    if not isinstance(upload, UploadedFile):
        raise bad_input("send `resumePdf` as a multipart upload", field="resumePdf")
    try:
        # One byte past the cap is enough for the service to refuse it by size.
        return await upload.read(MAX_RESUME_PDF_BYTES + 1)
    finally:
        await upload.close()


@strawberry.input(description="A new interview; its questions are generated on creation.")
class InterviewInput:
    candidate_id: strawberry.ID
    role_title: str
    job_description: str
    question_count: int | None = strawberry.field(
        default=DEFAULT_QUESTION_COUNT, description="1..20"
    )

    def to_new_interview(self) -> NewInterview:
        return NewInterview(
            candidate_id=parse_id(self.candidate_id, field="candidateId", kind="candidate"),
            role_title=self.role_title,
            job_description=self.job_description,
            question_count=(
                DEFAULT_QUESTION_COUNT if self.question_count is None else self.question_count
            ),
        )


@strawberry.input(description="One transcript turn, as the interviewer agent hears it.")
class TranscriptTurnInput:
    speaker: str = strawberry.field(description="ai | candidate | interviewer | unknown")
    text: str
    timestamp_sec: int = strawberry.field(description="Seconds since the session began, >= 0")
    sequence_no: int | None = strawberry.field(
        default=None,
        description=f"1, 2, ... (at most {MAX_SEQUENCE_NO}); a retried append with the same "
        "number is not stored twice. Omitted: after the last stored turn",
    )

    def to_new_turn(self) -> NewTurn:
        return NewTurn(
            speaker=self.speaker,
            text=self.text,
            timestamp_sec=self.timestamp_sec,
            sequence_no=self.sequence_no,
        )
