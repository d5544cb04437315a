"""Forward-only migrations: `db/migrations/NNNN_name.sql`, applied in order, recorded once.

A file whose first line is `-- no-transaction` runs outside a transaction (for
`create index concurrently`); every other file runs in one transaction with its record.
On a Citus coordinator with workers, the distributed layout follows (db/citus.py).
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from db import citus
from db.pool import Connection

logger = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).parent / "migrations"
# Any fixed number: two processes starting at once must not apply the same file twice.
_ADVISORY_LOCK_KEY: Final = 7_311_964_021

CREATE_SCHEMA_MIGRATIONS = """
create table if not exists schema_migrations (
    version    text primary key,
    applied_at timestamptz not null default now()
)
"""
SELECT_APPLIED_VERSIONS = "select version from schema_migrations"
INSERT_APPLIED_VERSION = "insert into schema_migrations (version) values ($1)"


@dataclass(frozen=True, slots=True)
class Migration:
    version: str
    path: Path

    @property
    def in_transaction(self) -> bool:
        with self.path.open() as file:
            return file.readline().strip() != "-- no-transaction"


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    return [
        Migration(path.stem, path) for path in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    ]


async def apply_migrations(conn: Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration not yet recorded; return the versions applied now."""
    await conn.execute("select pg_advisory_lock($1)", _ADVISORY_LOCK_KEY)
    try:
        await conn.execute(CREATE_SCHEMA_MIGRATIONS)
        applied = {row["version"] for row in await conn.fetch(SELECT_APPLIED_VERSIONS)}
        newly_applied = []
        for migration in available_migrations(directory):
            if migration.version in applied:
                continue
            sql = migration.path.read_text()
            if migration.in_transaction:
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(INSERT_APPLIED_VERSION, migration.version)
            else:
                await conn.execute(sql)
                await conn.execute(INSERT_APPLIED_VERSION, migration.version)
            logger.info("applied migration", extra={"version": migration.version})
            newly_applied.append(migration.version)
        await citus.lay_out(conn)
        return newly_applied
    finally:
        await conn.execute("select pg_advisory_unlock($1)", _ADVISORY_LOCK_KEY)
