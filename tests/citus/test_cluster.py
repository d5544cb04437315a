import asyncpg
import pytest

pytestmark = pytest.mark.citus


async def test_the_coordinator_knows_itself_and_two_active_workers(citus_dsn: str) -> None:
    conn = await asyncpg.connect(citus_dsn)
    try:
        nodes = await conn.fetch(
            "select groupid, noderole, isactive, shouldhaveshards from pg_dist_node"
            " order by groupid"
        )
        count = await conn.fetchval("select count(*) from pg_dist_node")
        workers = await conn.fetchval("select count(*) from citus_get_active_worker_nodes()")
    finally:
        await conn.close()
    assert count == 3
    # The coordinator is group 0 and holds no shards; each worker is its own primary group.
    assert [(node["groupid"], node["noderole"], node["isactive"]) for node in nodes] == [
        (0, "primary", True),
        (1, "primary", True),
        (2, "primary", True),
    ]
    assert [node["shouldhaveshards"] for node in nodes] == [False, True, True]
    assert workers == 2
