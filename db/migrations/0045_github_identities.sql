-- Sign in with GitHub (docs/security.md): which GitHub account opens which of our accounts.
-- Keyed by GitHub's numeric user id, which never changes; the login (username) can be renamed
-- on GitHub, so it is only remembered for display. One GitHub account per user and one user
-- per GitHub account. A new table only: the previous release never reads it.
create table github_identities (
    github_id       bigint primary key,
    user_id         uuid not null unique references users (id),
    github_login    text not null,
    created_at      timestamptz not null default now(),
    last_sign_in_at timestamptz not null default now()
);
