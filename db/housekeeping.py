"""SQL that removes rows nothing can use any more: expired sign-in tokens and links, old jobs.

Each statement deletes at most `$2` rows, so a first run over a large backlog is many short
transactions rather than one that holds its locks for minutes.
"""

from typing import Final

from db.pool import Connection

# An expired refresh token opens nothing; kept for the grace period, a stolen one presented
# late is still recognised as reuse and revokes its family.
DELETE_EXPIRED_REFRESH_TOKENS: Final = """
delete from refresh_tokens
 where id in (select id from refresh_tokens
               where expires_at < now() - make_interval(secs => $1)
               limit $2)
"""

DELETE_EXPIRED_PASSWORD_RESETS: Final = """
delete from password_resets
 where id in (select id from password_resets
               where expires_at < now() - make_interval(secs => $1)
               limit $2)
"""

# Accepted invitations stay: they record who let a user into an organisation.
DELETE_EXPIRED_INVITATIONS: Final = """
delete from invitations
 where id in (select id from invitations
               where accepted_at is null
                 and expires_at < now() - make_interval(secs => $1)
               limit $2)
"""

# Finished job rows are the worker's bookkeeping; the outcome lives in the domain's own rows
# (assessments, the email outbox).
DELETE_FINISHED_JOBS: Final = """
delete from background_jobs
 where id in (select id from background_jobs
               where status in ('COMPLETED', 'FAILED')
                 and finished_at < now() - make_interval(secs => $1)
               limit $2)
"""

PURGES: Final = {
    "refresh_tokens": DELETE_EXPIRED_REFRESH_TOKENS,
    "password_resets": DELETE_EXPIRED_PASSWORD_RESETS,
    "invitations": DELETE_EXPIRED_INVITATIONS,
    "background_jobs": DELETE_FINISHED_JOBS,
}


async def purge_batch(
    conn: Connection, table: str, *, older_than_seconds: float, limit: int
) -> int:
    """Delete up to `limit` of `table`'s dead rows; how many went."""
    status = await conn.execute(PURGES[table], older_than_seconds, limit)
    return int(status.rpartition(" ")[2])
