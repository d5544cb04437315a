"""`insighta rollups check|rebuild` against a real database: clean after the write path, a
difference found (exit 1) after rows deleted by hand, mended by rebuild."""

from pathlib import Path

import asyncpg
import pytest

from cli.exit_codes import ExitCode
from services.profiles.seed import seed_demo_profiles
from tests.cli.test_main import _run

pytestmark = pytest.mark.usefixtures("empty_profiles")


async def test_check_is_clean_after_the_write_path_then_finds_and_rebuild_mends_a_bypass(
    pool: asyncpg.Pool, database_dsn: str, tmp_path: Path
) -> None:
    await seed_demo_profiles(pool)
    clean = await _run(database_dsn, tmp_path, "rollups", "check")
    assert clean.exit_code == ExitCode.OK, clean.output
    assert "rollups exact" in clean.stdout

    async with pool.acquire() as conn:
        await conn.execute("delete from profiles where country_id = 'KE' and gender = 'male'")
        kenyan_men = await conn.fetchval(
            "select sum(count) from profile_counts where country_id = 'KE' and gender = 'male'"
        )
    assert kenyan_men > 0
    broken = await _run(database_dsn, tmp_path, "rollups", "check")
    assert broken.exit_code == ExitCode.FAILED, broken.output
    assert "profile_totals (gender/age): " in broken.stdout
    assert "\nprofile_counts (country/gender/age): " in broken.stdout
    assert "  KE/male/" in broken.stdout
    assert "recounted 0" in broken.stdout
    assert "in 4 of the 4 rollups" in broken.stderr
    assert "rollups rebuild" in broken.stderr

    rebuilt = await _run(database_dsn, tmp_path, "rollups", "rebuild")
    assert rebuilt.exit_code == ExitCode.OK, rebuilt.output
    async with pool.acquire() as conn:
        stored = await conn.fetchval("select count(*) from profiles")
    assert f"rollups rebuilt from {stored:,} profiles" in rebuilt.stdout
    again = await _run(database_dsn, tmp_path, "rollups", "check")
    assert again.exit_code == ExitCode.OK, again.output
