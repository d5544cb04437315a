-- Accounts: passwords and the active flag on users, rotating refresh tokens, invitations into
-- an organisation and password resets (docs/security.md). Every token we hand out is opaque and only
-- its sha256 is stored, so a copy of this database opens no session.

alter table users
    add column password_hash text,
    add column is_active     boolean not null default true,
    add column updated_at    timestamptz not null default now();

-- An organisation's users in id (creation) order: the admins' user list, keyset on id.
create index users_organisation_idx on users (organisation_id, id);

-- One row per refresh token ever issued. Rotation marks the old row used and inserts the next
-- one in the same family; presenting a used token again revokes the whole family.
create table refresh_tokens (
    id         uuid primary key default uuid_v7(),
    user_id    uuid not null references users (id),
    family_id  uuid not null,
    token_hash bytea not null unique check (length(token_hash) = 32),
    expires_at timestamptz not null,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
);
-- Revoking a family (reuse, logout) and all of a user's live tokens (reset, deactivation).
create index refresh_tokens_family_idx on refresh_tokens (family_id);
create index refresh_tokens_user_live_idx on refresh_tokens (user_id) where revoked_at is null;

create table invitations (
    id              uuid primary key default uuid_v7(),
    organisation_id uuid not null references organisations (id),
    email           text not null check (email <> ''),
    email_key       text collate "C" not null,  -- lower(trim(email)); sign-up must match it
    role            text not null check (role in ('admin', 'recruiter', 'analyst')),
    token_hash      bytea not null unique check (length(token_hash) = 32),
    invited_by      text not null,
    expires_at      timestamptz not null,
    accepted_at     timestamptz,
    accepted_by     uuid references users (id),
    created_at      timestamptz not null default now()
);

create table password_resets (
    id         uuid primary key default uuid_v7(),
    user_id    uuid not null references users (id),
    token_hash bytea not null unique check (length(token_hash) = 32),
    expires_at timestamptz not null,
    used_at    timestamptz,
    created_at timestamptz not null default now()
);
-- A new request or a reset retires the user's other open reset links.
create index password_resets_user_open_idx on password_resets (user_id) where used_at is null;

-- Invitations into an organisation are emails too (kind `user_invite`; `invite` stays the
-- interview invitation). Widening a check is safe for the previous release.
alter table email_outbox drop constraint email_outbox_kind_check;
alter table email_outbox add constraint email_outbox_kind_check
    check (kind in ('invite', 'welcome', 'password_reset', 'user_invite'));

-- Every account belongs to an organisation: an admin without one would be a platform admin,
-- and those are operators with server-signed tokens, never sign-ups. (No release wrote users.)
alter table users alter column organisation_id set not null;
