"""Migration 0043 labels the organisations that existed before it by how they were made."""

import shutil
import uuid
from pathlib import Path

import asyncpg

from db.migrations import MIGRATIONS_DIR, apply_migrations
from tests.databases import with_database


async def test_existing_organisations_are_labelled_by_whether_a_founder_signed_up(
    server_dsn: str, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0043":
            shutil.copy(path, before / path.name)
    name = f"insighta_origin_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'create database "{name}"')
        conn = await asyncpg.connect(with_database(server_dsn, name))
        try:
            await apply_migrations(conn, before)
            ids: dict[str, object] = {}
            for slug in ("signed-up", "invited-only", "empty"):
                ids[slug] = await conn.fetchval(
                    "insert into organisations (slug, name) values ($1, $1) returning id", slug
                )
            founder = await conn.fetchval(
                "insert into users (organisation_id, email, email_key, role)"
                " values ($1, 'f@x.io', 'f@x.io', 'admin') returning id",
                ids["signed-up"],
            )
            invitee = await conn.fetchval(
                "insert into users (organisation_id, email, email_key, role)"
                " values ($1, 'i@x.io', 'i@x.io', 'admin') returning id",
                ids["invited-only"],
            )
            await conn.execute(
                "insert into invitations (organisation_id, email, email_key, role, token_hash,"
                " invited_by, expires_at, accepted_at, accepted_by)"
                " values ($1, 'i@x.io', 'i@x.io', 'admin', $2, 'operator', now(), now(), $3)",
                ids["invited-only"],
                b"\x01" * 32,
                invitee,
            )
            assert founder is not None
            await apply_migrations(conn)
            rows = await conn.fetch("select slug, origin from organisations")
            origins = {row["slug"]: row["origin"] for row in rows}
        finally:
            await conn.close()
        assert origins == {"signed-up": "sign_up", "invited-only": "operator", "empty": "operator"}
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()
