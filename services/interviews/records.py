"""Interview domain values: plain frozen dataclasses and enums, built from database rows."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Self
from uuid import UUID

from services.platform.rows import Row


class InterviewStatus(Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # the invitation is queued or sent
    IN_PROGRESS = "in_progress"  # the live session has started
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NEEDS_ATTENTION = "needs_attention"  # completed, but its assessment failed


class AssessmentStatus(Enum):
    PENDING = "PENDING"
    GENERATING = "GENERATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class Speaker(Enum):
    AI = "ai"
    CANDIDATE = "candidate"
    INTERVIEWER = "interviewer"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ResumeProfile:
    """What was extracted from a resume."""

    skills: tuple[str, ...]
    years_of_experience: float | None
    education: tuple[str, ...]
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {
            "skills": list(self.skills),
            "years_of_experience": self.years_of_experience,
            "education": list(self.education),
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Self:
        years = value.get("years_of_experience")
        return cls(
            skills=tuple(str(skill) for skill in value.get("skills") or ()),
            years_of_experience=float(years) if isinstance(years, int | float) else None,
            education=tuple(str(entry) for entry in value.get("education") or ()),
            summary=str(value.get("summary") or ""),
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    id: UUID
    organisation_id: UUID
    name: str
    email: str
    resume_text: str | None
    has_resume_pdf: bool
    profile: ResumeProfile | None
    profile_model: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            organisation_id=row["organisation_id"],
            name=row["name"],
            email=row["email"],
            resume_text=row["resume_text"],
            has_resume_pdf=row["has_resume_pdf"],
            profile=ResumeProfile.from_json(row["profile"]) if row["profile"] else None,
            profile_model=row["profile_model"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Interview:
    id: UUID
    organisation_id: UUID
    candidate_id: UUID
    role_title: str
    job_description: str
    questions: tuple[str, ...]
    questions_model: str | None
    status: InterviewStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            organisation_id=row["organisation_id"],
            candidate_id=row["candidate_id"],
            role_title=row["role_title"],
            job_description=row["job_description"],
            questions=tuple(row["questions"]),
            questions_model=row["questions_model"],
            status=InterviewStatus(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class InterviewSession:
    id: UUID
    interview_id: UUID
    room_name: str
    started_at: datetime | None
    completed_at: datetime | None

    @property
    def status(self) -> str:
        if self.completed_at is not None:
            return "completed"
        return "active" if self.started_at is not None else "created"

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            interview_id=row["interview_id"],
            room_name=row["room_name"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
        )


@dataclass(frozen=True, slots=True)
class StoredTurn:
    id: UUID
    interview_id: UUID
    sequence_no: int
    speaker: Speaker
    text: str
    timestamp_sec: int

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            id=row["id"],
            interview_id=row["interview_id"],
            sequence_no=row["sequence_no"],
            speaker=Speaker(row["speaker"]),
            text=row["text"],
            timestamp_sec=row["timestamp_sec"],
        )


@dataclass(frozen=True, slots=True)
class Score:
    criterion: str
    score: int  # 1..5
    rationale: str

    def to_json(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "score": self.score, "rationale": self.rationale}


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    """What a provider produced for one interview."""

    summary: str
    strengths: tuple[str, ...]
    concerns: tuple[str, ...]
    recommendation: str
    scores: tuple[Score, ...]
    model: str


@dataclass(frozen=True, slots=True)
class Assessment:
    interview_id: UUID
    status: AssessmentStatus
    revision: int
    attempts: int
    error: str | None
    summary: str | None
    strengths: tuple[str, ...]
    concerns: tuple[str, ...]
    recommendation: str | None
    scores: tuple[Score, ...]
    model: str | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> Self:
        return cls(
            interview_id=row["interview_id"],
            status=AssessmentStatus(row["status"]),
            revision=row["revision"],
            attempts=row["attempts"],
            error=row["error"],
            summary=row["summary"],
            strengths=tuple(row["strengths"]),
            concerns=tuple(row["concerns"]),
            recommendation=row["recommendation"],
            scores=tuple(
                Score(str(s["criterion"]), int(s["score"]), str(s.get("rationale") or ""))
                for s in row["scores"]
            ),
            model=row["model"],
            updated_at=row["updated_at"],
        )
