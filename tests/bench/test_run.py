"""The benchmark's own database steps (bench/run.py)."""

import asyncio

import asyncpg

from bench.run import make_cached_answers_stale


async def test_making_cached_answers_stale_is_announced(database_dsn: str) -> None:
    """The server keeps the version it heard on `data_version` (LiveVersion), and its response
    cache answers from it: a bump nobody announces would leave the "uncached" rounds served
    from the cache."""
    listener = await asyncpg.connect(database_dsn)
    writer = await asyncpg.connect(database_dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener("data_version", lambda *args: heard.put_nowait(args[3]))
        before = await writer.fetchval("select version from data_version")
        await make_cached_answers_stale(writer)
        token = await asyncio.wait_for(heard.get(), timeout=5)
        assert token.endswith(f":{before + 1}")
    finally:
        await listener.close()
        await writer.close()
