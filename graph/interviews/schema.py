"""Root query fields for interviews and the email outbox."""

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted, require_principal
from graph.interviews.enums import EmailStatus
from graph.interviews.types import Candidate, EmailMessage, Interview
from services.email.outbox import MAX_OUTBOX_PAGE, list_outbox
from services.errors import bad_input
from services.interviews.candidates import get_candidate
from services.interviews.interviews import get_interview


@strawberry.type
class InterviewsQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="One interview. Another organisation's interview is NOT_FOUND, exactly "
        "like one that does not exist.",
    )
    async def interview(self, info: Info[Context, None], id: strawberry.ID) -> Interview | None:
        interview_id = parse_id(id, field="id", kind="interview")
        interview = await get_interview(
            info.context.pool, require_principal(info.context), interview_id
        )
        return Interview.from_domain(interview)

    @strawberry.field(
        permission_classes=[Permitted],
        description="One candidate; another organisation's is NOT_FOUND.",
    )
    async def candidate(self, info: Info[Context, None], id: strawberry.ID) -> Candidate | None:
        candidate_id = parse_id(id, field="id", kind="candidate")
        candidate = await get_candidate(
            info.context.pool, require_principal(info.context), candidate_id
        )
        return Candidate.from_domain(candidate)

    @strawberry.field(
        permission_classes=[Permitted],
        description=f"Admins: the newest emails in the outbox (`first` 1..{MAX_OUTBOX_PAGE}), "
        "optionally only one status. In offline mode every email is here as LOGGED.",
    )
    async def email_outbox(
        self, info: Info[Context, None], status: EmailStatus | None = None, first: int = 20
    ) -> list[EmailMessage]:
        if not 1 <= first <= MAX_OUTBOX_PAGE:
            raise bad_input(f"first must be 1..{MAX_OUTBOX_PAGE}", field="first")
        emails = await list_outbox(info.context.pool, status=status, limit=first)
        return [EmailMessage.from_domain(email) for email in emails]
