"""The per-process cache of account statuses: remembered for its TTL, bounded, forgettable."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import asyncpg

from services.accounts.statuses import UserStatuses
from services.platform.ids import uuid7


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


class PoolWithAHook:
    """The real pool; `after_use` runs when a connection comes back, which is after the status
    lookup read the row and before the answer is remembered."""

    def __init__(self, pool: asyncpg.Pool, after_use: Callable[[], None]) -> None:
        self._pool, self._after_use = pool, after_use

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        async with self._pool.acquire() as conn:
            yield conn
        self._after_use()


async def test_an_answer_read_before_a_forget_is_not_remembered(pool: asyncpg.Pool) -> None:
    user_id = await _user(pool)
    statuses: UserStatuses

    def disabled_meanwhile() -> None:  # the disabling transaction commits, then forgets
        statuses.forget(user_id)

    hooked = cast(asyncpg.Pool, PoolWithAHook(pool, disabled_meanwhile))
    statuses = UserStatuses(hooked, ttl_seconds=60)
    assert await statuses.is_active(user_id)  # read just before the change
    await _set_active(pool, user_id, False)
    assert not await statuses.is_active(user_id), "the stale answer was not kept"
