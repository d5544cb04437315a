-- Interviews: organisations, users, candidates, interviews, sessions, transcript turns,
-- assessments, recruiter chat messages and the email outbox (docs/interviews.md).

create table organisations (
    id         uuid primary key default uuid_v7(),
    -- The organisation a token names (`org` claim); "C": byte-wise, locale-independent.
    slug       text collate "C" not null unique check (slug <> '' and length(slug) <= 100),
    name       text not null,
    created_at timestamptz not null default now()
);

-- Minimal for now; passwords, refresh tokens and sign-up arrive with the accounts work.
create table users (
    id              uuid primary key default uuid_v7(),
    organisation_id uuid references organisations (id),
    email           text not null check (email <> ''),
    email_key       text collate "C" not null unique,  -- lower(trim(email))
    role            text not null check (role in ('admin', 'recruiter', 'analyst')),
    name            text not null default '',
    created_at      timestamptz not null default now()
);

create table candidates (
    id              uuid primary key default uuid_v7(),
    organisation_id uuid not null references organisations (id),
    name            text not null check (name <> ''),
    email           text not null check (email <> ''),
    resume_text     text,
    resume_pdf      bytea,
    -- {skills, years_of_experience, education, summary}; model says who extracted it.
    profile         jsonb,
    profile_model   text,
    created_by      text not null,
    created_at      timestamptz not null default now()
);
-- A recruiter's own candidates, newest first.
create index candidates_organisation_created_idx on candidates (organisation_id, created_at);

create table interviews (
    id              uuid primary key default uuid_v7(),
    organisation_id uuid not null references organisations (id),
    candidate_id    uuid not null references candidates (id),
    role_title      text not null check (role_title <> ''),
    job_description text not null check (job_description <> ''),
    questions       jsonb not null default '[]' check (jsonb_typeof(questions) = 'array'),
    questions_model text,
    status          text not null default 'draft' check (status in (
                        'draft', 'scheduled', 'in_progress', 'completed', 'cancelled',
                        'needs_attention')),
    created_by      text not null,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
-- A recruiter's own interviews, newest first; a candidate's interviews.
create index interviews_organisation_created_idx on interviews (organisation_id, created_at);
create index interviews_candidate_idx on interviews (candidate_id);

-- One live session per interview: its LiveKit room and, once over, the agent's transcript.
create table interview_sessions (
    id              uuid primary key default uuid_v7(),
    interview_id    uuid not null unique references interviews (id),
    room_name       text collate "C" not null unique,
    started_at      timestamptz,
    completed_at    timestamptz,
    -- A list of {speaker, content|text, sequence_no?, timestamp_sec}, as the agent sent it.
    transcript_json jsonb,
    created_at      timestamptz not null default now()
);

create table transcript_turns (
    id            uuid primary key default uuid_v7(),
    interview_id  uuid not null references interviews (id),
    sequence_no   integer not null check (sequence_no >= 1),
    speaker       text not null check (speaker in ('ai', 'candidate', 'interviewer', 'unknown')),
    text          text not null check (text <> ''),
    timestamp_sec integer not null check (timestamp_sec >= 0),
    created_at    timestamptz not null default now(),
    -- A retried append carries the same sequence number and finds its turn here.
    unique (interview_id, sequence_no)
);

create table assessments (
    interview_id   uuid primary key references interviews (id),
    status         text not null default 'PENDING' check (status in (
                       'PENDING', 'GENERATING', 'COMPLETED', 'FAILED')),
    -- Bumped whenever the assessment is queued again; a job for an older revision is stale
    -- and must not overwrite a newer result.
    revision       integer not null default 1,
    attempts       integer not null default 0,  -- upstream calls made, across all runs
    error          text,
    summary        text,
    strengths      jsonb not null default '[]',
    concerns       jsonb not null default '[]',
    recommendation text,
    scores         jsonb not null default '[]',  -- [{criterion, score, rationale}]
    model          text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    completed_at   timestamptz
);

create table chat_messages (
    id           uuid primary key default uuid_v7(),
    interview_id uuid not null references interviews (id),
    role         text not null check (role in ('user', 'assistant')),
    author       text,
    content      text not null,
    created_at   timestamptz not null default now()
);
-- Chat history of one interview in order (keyset on created_at, id).
create index chat_messages_interview_idx on chat_messages (interview_id, created_at, id);

create table email_outbox (
    id              uuid primary key default uuid_v7(),
    -- One email per key however often it is queued or retried; also sent to Resend as its
    -- Idempotency-Key so a retry after a lost answer is not a second email.
    idempotency_key text collate "C" not null unique,
    kind            text not null check (kind in ('invite', 'welcome', 'password_reset')),
    organisation_id uuid references organisations (id),
    interview_id    uuid references interviews (id),
    to_address      text not null check (to_address <> ''),
    subject         text not null,
    text_body       text not null,
    html_body       text not null,
    status          text not null default 'QUEUED' check (status in (
                        'QUEUED', 'SENDING', 'SENT', 'FAILED', 'LOGGED')),
    attempts        integer not null default 0,
    last_error      text,
    provider_id     text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    sent_at         timestamptz
);
-- The admin's outbox view, newest first.
create index email_outbox_created_idx on email_outbox (created_at, id);
create index email_outbox_interview_idx on email_outbox (interview_id) where interview_id is not null;
