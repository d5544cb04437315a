"""The per-process cache of account statuses: remembered for its TTL, bounded, forgettable."""

import uuid

import asyncpg

from services.accounts.statuses import UserStatuses
from services.ids import uuid7


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _user(pool: asyncpg.Pool) -> uuid.UUID:
    async with pool.acquire() as conn:
        organisation = await conn.fetchval(
            "insert into organisations (slug, name) values ($1, 'S') returning id",
            f"statuses-{uuid.uuid4().hex[:8]}",
        )
        user_id: uuid.UUID = await conn.fetchval(
            "insert into users (organisation_id, email, email_key, role)"
            " values ($1, $2, $2, 'analyst') returning id",
            organisation,
            f"{uuid.uuid4().hex}@example.com",
        )
    return user_id


async def _set_active(pool: asyncpg.Pool, user_id: uuid.UUID, active: bool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("update users set is_active = $2 where id = $1", user_id, active)


async def test_the_answer_is_remembered_for_its_ttl(pool: asyncpg.Pool) -> None:
    clock = Clock()
    statuses = UserStatuses(pool, ttl_seconds=5, clock=clock)
    user_id = await _user(pool)
    assert await statuses.is_active(user_id)
    await _set_active(pool, user_id, False)
    clock.now += 4.9
    assert await statuses.is_active(user_id)  # still the remembered answer
    clock.now += 0.2
    assert not await statuses.is_active(user_id)


async def test_forgetting_reads_the_database_at_once(pool: asyncpg.Pool) -> None:
    statuses = UserStatuses(pool, ttl_seconds=60, clock=Clock())
    user_id = await _user(pool)
    assert await statuses.is_active(user_id)
    await _set_active(pool, user_id, False)
    statuses.forget(user_id)
    assert not await statuses.is_active(user_id)


async def test_an_unknown_user_is_not_active(pool: asyncpg.Pool) -> None:
    assert not await UserStatuses(pool, ttl_seconds=5).is_active(uuid7())


async def test_the_cache_is_bounded_oldest_out_first(pool: asyncpg.Pool) -> None:
    clock = Clock()
    statuses = UserStatuses(pool, ttl_seconds=60, max_entries=2, clock=clock)
    first, second, third = [await _user(pool) for _ in range(3)]
    for user_id in (first, second, third):
        assert await statuses.is_active(user_id)
    for user_id in (first, second, third):
        await _set_active(pool, user_id, False)
    # the first fell out and is read afresh; the other two are still remembered
    assert not await statuses.is_active(first)
    assert await statuses.is_active(third)
