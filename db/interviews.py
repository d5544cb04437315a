"""SQL for organisations, candidates, interviews, sessions, transcript turns and assessments.

Reads that a recruiter makes take the organisation slug their token names (`scope`); `None`
means every organisation (admins). A row outside the scope is simply not found.
"""

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

import asyncpg

from db.pool import Connection

# ---------------------------------------------------------------- organisations

# Insert-or-select without writing the existing row again (no dead tuple per call). Only
# operators' tokens name an organisation that does not exist yet (accounts' always exists).
ENSURE_ORGANISATION = """
with inserted as (
    insert into organisations (slug, name, origin)
    values ($1, $1, 'operator')
        on conflict (slug) do nothing
    returning id
)
select id from inserted
 union all
select id from organisations where slug = $1
 limit 1
"""


GET_ORGANISATION_SLUG = "select slug from organisations where id = $1"


async def ensure_organisation(conn: Connection, slug: str) -> UUID:
    organisation_id: UUID = await conn.fetchval(ENSURE_ORGANISATION, slug)
    return organisation_id


async def get_organisation_slug(conn: Connection, organisation_id: UUID) -> str:
    slug: str = await conn.fetchval(GET_ORGANISATION_SLUG, organisation_id)
    return slug


# ---------------------------------------------------------------- candidates

INSERT_CANDIDATE = """
with c as (
    insert into candidates (organisation_id, name, email, resume_text, resume_pdf, profile,
                            profile_model, created_by)
    values ($1, $2, $3, $4, $5, $6, $7, $8)
    returning *
)
select
       c.id, c.organisation_id, c.name, c.email, c.resume_text,
       c.resume_pdf is not null as has_resume_pdf, c.profile, c.profile_model, c.created_at
  from c
"""

GET_CANDIDATE = """
select
       c.id, c.organisation_id, c.name, c.email, c.resume_text,
       c.resume_pdf is not null as has_resume_pdf, c.profile, c.profile_model, c.created_at
  from candidates c
 where c.id = $1
   and ($2::text is null
        or c.organisation_id = (select id from organisations where slug = $2))
"""

SELECT_CANDIDATES_BY_IDS = """
select
       c.id, c.organisation_id, c.name, c.email, c.resume_text,
       c.resume_pdf is not null as has_resume_pdf, c.profile, c.profile_model, c.created_at
  from candidates c
 where c.id = any($1::uuid[])
"""


async def insert_candidate(
    conn: Connection,
    *,
    organisation_id: UUID,
    name: str,
    email: str,
    resume_text: str | None,
    resume_pdf: bytes | None,
    profile: dict[str, Any] | None,
    profile_model: str | None,
    created_by: str,
) -> asyncpg.Record:
    record = await conn.fetchrow(
        INSERT_CANDIDATE,
        organisation_id,
        name,
        email,
        resume_text,
        resume_pdf,
        profile,
        profile_model,
        created_by,
    )
    assert record is not None
    return record


async def get_candidate(
    conn: Connection, candidate_id: UUID, *, scope: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_CANDIDATE, candidate_id, scope)


async def select_candidates_by_ids(
    conn: Connection, candidate_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_CANDIDATES_BY_IDS, list(candidate_ids))


# ---------------------------------------------------------------- interviews

INSERT_INTERVIEW = """
with i as (
    insert into interviews (organisation_id, candidate_id, role_title, job_description,
                            questions, questions_model, created_by)
    values ($1, $2, $3, $4, $5, $6, $7)
    returning *
)
select
       i.id, i.organisation_id, i.candidate_id, i.role_title, i.job_description, i.questions,
       i.questions_model, i.status, i.created_at, i.updated_at
  from i
"""

GET_INTERVIEW = """
select
       i.id, i.organisation_id, i.candidate_id, i.role_title, i.job_description, i.questions,
       i.questions_model, i.status, i.created_at, i.updated_at
  from interviews i
 where i.id = $1
   and ($2::text is null
        or i.organisation_id = (select id from organisations where slug = $2))
"""

# Writers of one interview (appends, completion, re-queueing) serialise on its row.
GET_INTERVIEW_FOR_UPDATE = """
select
       i.id, i.organisation_id, i.candidate_id, i.role_title, i.job_description, i.questions,
       i.questions_model, i.status, i.created_at, i.updated_at
  from interviews i
 where i.id = $1
   and ($2::text is null
        or i.organisation_id = (select id from organisations where slug = $2))
   for update of i
"""

# Moves only from one of the expected statuses ($3), so a stale caller changes nothing.
UPDATE_INTERVIEW_STATUS = """
update interviews
   set status = $2,
       updated_at = now()
 where id = $1
   and status = any($3::text[])
"""


async def insert_interview(
    conn: Connection,
    *,
    organisation_id: UUID,
    candidate_id: UUID,
    role_title: str,
    job_description: str,
    questions: Sequence[str],
    questions_model: str,
    created_by: str,
) -> asyncpg.Record:
    record = await conn.fetchrow(
        INSERT_INTERVIEW,
        organisation_id,
        candidate_id,
        role_title,
        job_description,
        list(questions),
        questions_model,
        created_by,
    )
    assert record is not None
    return record


async def get_interview(
    conn: Connection, interview_id: UUID, *, scope: str | None, for_update: bool = False
) -> asyncpg.Record | None:
    statement = GET_INTERVIEW_FOR_UPDATE if for_update else GET_INTERVIEW
    return await conn.fetchrow(statement, interview_id, scope)


async def update_interview_status(
    conn: Connection, interview_id: UUID, status: str, *, only_from: Sequence[str]
) -> bool:
    result = await conn.execute(UPDATE_INTERVIEW_STATUS, interview_id, status, list(only_from))
    return result == "UPDATE 1"


# ---------------------------------------------------------------- sessions

GET_SESSION_BY_INTERVIEW = """
select id, interview_id, room_name, started_at, completed_at
  from interview_sessions
 where interview_id = $1
"""

GET_SESSION_BY_ROOM = """
select id, interview_id, room_name, started_at, completed_at
  from interview_sessions
 where room_name = $1
"""

# Started once: a second start keeps the first start time.
UPSERT_STARTED_SESSION = """
insert into interview_sessions (interview_id, room_name, started_at)
values ($1, $2, now())
    on conflict (interview_id)
    do update set started_at = coalesce(interview_sessions.started_at, now())
returning id, interview_id, room_name, started_at, completed_at
"""

# Completed once; a later call may still bring the transcript JSON the first one lacked.
UPSERT_COMPLETED_SESSION = """
insert into interview_sessions (interview_id, room_name, completed_at, transcript_json)
values ($1, $2, now(), $3)
    on conflict (interview_id)
    do update set completed_at = coalesce(interview_sessions.completed_at, now()),
                  transcript_json = coalesce(excluded.transcript_json,
                                             interview_sessions.transcript_json)
returning id, interview_id, room_name, started_at, completed_at
"""

GET_TRANSCRIPT_JSON = """
select transcript_json from interview_sessions where interview_id = $1
"""


async def get_session_by_interview(conn: Connection, interview_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_SESSION_BY_INTERVIEW, interview_id)


async def get_session_by_room(conn: Connection, room_name: str) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_SESSION_BY_ROOM, room_name)


async def upsert_started_session(
    conn: Connection, *, interview_id: UUID, room_name: str
) -> asyncpg.Record:
    record = await conn.fetchrow(UPSERT_STARTED_SESSION, interview_id, room_name)
    assert record is not None
    return record


async def upsert_completed_session(
    conn: Connection, *, interview_id: UUID, room_name: str, transcript_json: Any
) -> asyncpg.Record:
    record = await conn.fetchrow(UPSERT_COMPLETED_SESSION, interview_id, room_name, transcript_json)
    assert record is not None
    return record


async def get_transcript_json(conn: Connection, interview_id: UUID) -> Any:
    return await conn.fetchval(GET_TRANSCRIPT_JSON, interview_id)


SELECT_TRANSCRIPT_JSONS = """
select interview_id, transcript_json
  from interview_sessions
 where interview_id = any($1::uuid[])
"""


async def select_transcript_jsons(
    conn: Connection, interview_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    """(interview_id, transcript_json) of the sessions of these interviews, in one statement."""
    return await conn.fetch(SELECT_TRANSCRIPT_JSONS, list(interview_ids))


# ---------------------------------------------------------------- transcript turns

# Without a sequence number the turn goes after the last one; callers hold the interview's
# row lock, so two appends cannot pick the same number.
INSERT_TURN = """
insert into transcript_turns (interview_id, sequence_no, speaker, text, timestamp_sec)
values ($1,
        -- A turn at int4's last value (stored before sequenceNo had a maximum) would make
        -- max + 1 overflow on every later append: number after the turns below it.
        coalesce($2::int, (select coalesce(max(sequence_no), 0) + 1
                             from transcript_turns
                            where interview_id = $1
                              and sequence_no < 2147483647)),
        $3, $4, $5)
    on conflict (interview_id, sequence_no) do nothing
returning id, interview_id, sequence_no, speaker, text, timestamp_sec
"""

GET_TURN = """
select id, interview_id, sequence_no, speaker, text, timestamp_sec
  from transcript_turns
 where interview_id = $1
   and sequence_no = $2
"""

SELECT_TURNS = """
select id, interview_id, sequence_no, speaker, text, timestamp_sec
  from transcript_turns
 where interview_id = $1
 order by sequence_no
"""

GET_FIRST_TURN_TIMESTAMP = """
select timestamp_sec
  from transcript_turns
 where interview_id = $1
 order by sequence_no
 limit 1
"""


async def insert_turn(
    conn: Connection,
    *,
    interview_id: UUID,
    sequence_no: int | None,
    speaker: str,
    text: str,
    timestamp_sec: int,
) -> asyncpg.Record | None:
    """The new turn, or None when that sequence number is already taken."""
    return await conn.fetchrow(INSERT_TURN, interview_id, sequence_no, speaker, text, timestamp_sec)


async def get_turn(conn: Connection, interview_id: UUID, sequence_no: int) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_TURN, interview_id, sequence_no)


async def select_turns(conn: Connection, interview_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_TURNS, interview_id)


SELECT_TURNS_OF_INTERVIEWS = """
select id, interview_id, sequence_no, speaker, text, timestamp_sec
  from transcript_turns
 where interview_id = any($1::uuid[])
 order by interview_id, sequence_no
"""


async def select_turns_of_interviews(
    conn: Connection, interview_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    """Every stored turn of these interviews, in one statement (for dataloaders)."""
    return await conn.fetch(SELECT_TURNS_OF_INTERVIEWS, list(interview_ids))


async def get_first_turn_timestamp(conn: Connection, interview_id: UUID) -> int | None:
    value: int | None = await conn.fetchval(GET_FIRST_TURN_TIMESTAMP, interview_id)
    return value


# Live transcripts (docs/interviews.md): writers notify inside their transaction (delivered on
# commit); the payload is the interview id, and subscribers read the rows themselves.
TURNS_CHANNEL: Final = "transcript_turns"
NOTIFY_TURNS = "select pg_notify($1, $2)"

# The interview's status and the turns whose sequence numbers were not delivered yet, in one
# statement (one snapshot): a subscriber that sees a closed status has every turn committed
# before it.
SELECT_LIVE_TURNS = """
select i.status, t.id, t.interview_id, t.sequence_no, t.speaker, t.text, t.timestamp_sec,
       (select f.timestamp_sec from transcript_turns f
         where f.interview_id = i.id order by f.sequence_no limit 1) as first_timestamp_sec
  from interviews i
  left join transcript_turns t on t.interview_id = i.id and t.sequence_no <> all($2::int[])
 where i.id = $1
 order by t.sequence_no
"""


async def notify_turns_changed(conn: Connection, interview_id: UUID) -> None:
    """Tell live subscribers (on commit) that the interview has a new turn or ended."""
    await conn.execute(NOTIFY_TURNS, TURNS_CHANNEL, str(interview_id))


async def select_live_turns(
    conn: Connection, interview_id: UUID, delivered: Sequence[int]
) -> list[asyncpg.Record]:
    """Rows of (status, turn columns or nulls, first_timestamp_sec); none: no interview."""
    return await conn.fetch(SELECT_LIVE_TURNS, interview_id, list(delivered))


# ---------------------------------------------------------------- assessments

GET_ASSESSMENT_FOR_UPDATE = """
select interview_id, status, revision, attempts, error, summary, strengths,
       concerns, recommendation, scores, model, updated_at
  from assessments
 where interview_id = $1
   for update
"""

SELECT_ASSESSMENTS_BY_INTERVIEW_IDS = """
select interview_id, status, revision, attempts, error, summary, strengths,
       concerns, recommendation, scores, model, updated_at
  from assessments
 where interview_id = any($1::uuid[])
"""

# A new assessment, or a finished one queued again as a new revision.
QUEUE_ASSESSMENT = """
insert into assessments (interview_id)
values ($1)
    on conflict (interview_id)
    do update set status = 'PENDING',
                  revision = assessments.revision + 1,
                  error = null,
                  updated_at = now()
returning interview_id, status, revision, attempts, error, summary, strengths,
       concerns, recommendation, scores, model, updated_at
"""

# The writes below are fenced by revision: a job for an older revision changes nothing.
START_ASSESSMENT = """
update assessments
   set status = 'GENERATING',
       updated_at = now()
 where interview_id = $1
   and revision = $2
   and status in ('PENDING', 'GENERATING')
returning interview_id, status, revision, attempts, error, summary, strengths,
       concerns, recommendation, scores, model, updated_at
"""

COUNT_ASSESSMENT_ATTEMPT = """
update assessments
   set attempts = attempts + 1,
       updated_at = now()
 where interview_id = $1
   and revision = $2
"""

COMPLETE_ASSESSMENT = """
update assessments
   set status = 'COMPLETED',
       error = null,
       summary = $3,
       strengths = $4,
       concerns = $5,
       recommendation = $6,
       scores = $7,
       model = $8,
       updated_at = now(),
       completed_at = now()
 where interview_id = $1
   and revision = $2
   and status = 'GENERATING'
"""

FAIL_ASSESSMENT = """
update assessments
   set status = 'FAILED',
       error = $3,
       updated_at = now()
 where interview_id = $1
   and revision = $2
   and status in ('PENDING', 'GENERATING')
"""


async def get_assessment_for_update(conn: Connection, interview_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_ASSESSMENT_FOR_UPDATE, interview_id)


async def select_assessments_by_interview_ids(
    conn: Connection, interview_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ASSESSMENTS_BY_INTERVIEW_IDS, list(interview_ids))


async def queue_assessment(conn: Connection, interview_id: UUID) -> asyncpg.Record:
    record = await conn.fetchrow(QUEUE_ASSESSMENT, interview_id)
    assert record is not None
    return record


async def start_assessment(
    conn: Connection, *, interview_id: UUID, revision: int
) -> asyncpg.Record | None:
    return await conn.fetchrow(START_ASSESSMENT, interview_id, revision)


async def count_assessment_attempt(conn: Connection, *, interview_id: UUID, revision: int) -> None:
    await conn.execute(COUNT_ASSESSMENT_ATTEMPT, interview_id, revision)


async def complete_assessment(
    conn: Connection,
    *,
    interview_id: UUID,
    revision: int,
    summary: str,
    strengths: Sequence[str],
    concerns: Sequence[str],
    recommendation: str,
    scores: Sequence[dict[str, Any]],
    model: str,
) -> bool:
    status = await conn.execute(
        COMPLETE_ASSESSMENT,
        interview_id,
        revision,
        summary,
        list(strengths),
        list(concerns),
        recommendation,
        list(scores),
        model,
    )
    return status == "UPDATE 1"


async def fail_assessment(
    conn: Connection, *, interview_id: UUID, revision: int, error: str
) -> bool:
    return await conn.execute(FAIL_ASSESSMENT, interview_id, revision, error) == "UPDATE 1"
