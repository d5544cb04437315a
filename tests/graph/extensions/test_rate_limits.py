"""Rate limits: per caller on every operation, per IP on the account operations."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import asyncpg
import httpx
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from services.auth.tokens import Role, issue_token
from services.platform.cache import BoundedMemoryCache, build_backend
from services.platform.rate_limit import RateLimit, RateLimited, RateLimiter
from services.platform.settings import Settings
from tests.conftest import TEST_SECRET, make_token
from tests.redis_server import REDIS_URL, redis_is_reachable

STATS = {"query": "{ profileStats(groupBy: []) { count } }"}
LOGIN = {
    "query": "mutation($e: String!, $p: String!)"
    " { login(email: $e, password: $p) { accessToken } }",
    "variables": {"e": "nobody@example.com", "p": "not the password"},
}


@pytest.fixture(autouse=True)
async def clear_of_a_window_edge() -> None:
    """The limits count in fixed one-minute windows numbered from the epoch: a test whose
    requests straddled a window's end would see its count start again (seen on a loaded
    machine, where three argon2 logins took seconds). Start well inside a window."""
    left = 60 - time.time() % 60
    if left < 20:
        await asyncio.sleep(left + 0.1)


@pytest.fixture
async def limited(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        replace(settings, rate_limit_per_minute=5, auth_rate_limit_per_minute=2), pool=pool
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def test_a_caller_over_the_limit_gets_429_with_retry_after(
    limited: httpx.AsyncClient,
) -> None:
    headers = {"Authorization": f"Bearer {make_token()}"}
    answers = [await limited.post("/graphql", json=STATS, headers=headers) for _ in range(6)]
    assert [answer.status_code for answer in answers[:5]] == [200] * 5
    refused = answers[5]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == refused.headers["Retry-After"]


async def test_callers_are_counted_apart(limited: httpx.AsyncClient) -> None:
    for subject in ("one", "two"):
        token = issue_token(TEST_SECRET, role=Role.ANALYST, subject=subject, ttl=timedelta(hours=1))
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [
            (await limited.post("/graphql", json=STATS, headers=headers)).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 200], subject


async def test_password_guessing_is_limited_per_ip(limited: httpx.AsyncClient) -> None:
    answers = [await limited.post("/graphql", json=LOGIN) for _ in range(3)]
    codes = [answer.json()["errors"][0]["extensions"]["code"] for answer in answers]
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]
    assert answers[2].status_code == 429


async def test_aliases_do_not_multiply_the_auth_limit(limited: httpx.AsyncClient) -> None:
    # One document asking five times counts five times: aliases must not turn the per-IP
    # limit on guessing (or on mailing reset links) into thirty tries per counted request.
    resets = " ".join(
        f'r{i}: requestPasswordReset(email: "nobody-{i}@example.com")' for i in range(3)
    )
    refused = await limited.post("/graphql", json={"query": f"mutation {{ {resets} }}"})
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused.json()["data"] is None


# Counters live in this process, or in Redis when one answers (then shared by processes).
BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]


@pytest.mark.parametrize("backend_name", BACKENDS)
async def test_a_new_window_lets_the_caller_in_again(backend_name: str) -> None:
    now = [1_000_000.0]
    settings = Settings(redis_url=REDIS_URL if backend_name == "redis" else None)
    backend = build_backend(settings, namespace=f"test-rate-{uuid.uuid4().hex}", max_entries=100)
    limiter = RateLimiter(backend, clock=lambda: now[0])
    limit = RateLimit(requests=2, window_seconds=60)
    try:
        await limiter.check("api", "me", limit)
        await limiter.check("api", "me", limit)
        with pytest.raises(RateLimited) as refused:
            await limiter.check("api", "me", limit)
        assert refused.value.retry_after_seconds == 20  # 1_000_020 starts the next window
        now[0] += 20
        await limiter.check("api", "me", limit)
    finally:
        await limiter.close()


async def test_memory_counters_are_bounded() -> None:
    backend = BoundedMemoryCache(max_entries=3)
    for key in "abcde":
        await backend.increment(key)
    assert len(backend) == 3


def _nested_fragments(depth: int, selection: str) -> str:
    """A mutation whose only root selection sits `depth` fragment spreads down."""
    chain = " ".join(f"fragment M{i} on Mutation {{ ...M{i + 1} }}" for i in range(depth))
    return f"mutation {{ ...M0 }} {chain} fragment M{depth} on Mutation {{ {selection} }}"


async def test_auth_operations_nested_deep_in_fragments_still_count(
    limited: httpx.AsyncClient,
) -> None:
    # Fragments spread at the root add root fields however deep they nest: an operation
    # reached through twelve spreads is still three reset emails.
    resets = " ".join(
        f'r{i}: requestPasswordReset(email: "nobody-{i}@example.com")' for i in range(3)
    )
    refused = await limited.post("/graphql", json={"query": _nested_fragments(12, resets)})
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_auth_operations_count_once_per_expanded_copy(limited: httpx.AsyncClient) -> None:
    # Two spreads of a fragment holding one reset is two resets (over the limit of 2 with
    # the third from the other fragment).
    document = (
        "mutation { ...A ...A ...B } "
        'fragment A on Mutation { a: requestPasswordReset(email: "a@example.com") } '
        'fragment B on Mutation { b: requestPasswordReset(email: "b@example.com") }'
    )
    refused = await limited.post("/graphql", json={"query": document})
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_request_is_counted_once_whichever_paths_look_at_it(
    limited: httpx.AsyncClient,
) -> None:
    """A prepared operation (graph/extensions/prepared.py) that steps aside for the view, here
    on a cursor that is no cursor, was counted once: five requests, then the refusal."""
    headers = {"Authorization": f"Bearer {make_token()}"}
    query = "query($after: String) { profiles(first: 1, after: $after) { totalCount } }"
    learned = await limited.post("/graphql", json={"query": query}, headers=headers)
    assert learned.status_code == 200
    bad = {"query": query, "variables": {"after": "nope"}}
    answers = [await limited.post("/graphql", json=bad, headers=headers) for _ in range(5)]
    codes = [answer.json()["errors"][0]["extensions"]["code"] for answer in answers]
    assert codes == ["BAD_USER_INPUT"] * 4 + ["RATE_LIMITED"]
    assert answers[4].status_code == 429


def test_every_operation_over_a_websocket_counts(settings: Settings, pool: asyncpg.Pool) -> None:
    """A websocket's access-log record lives as long as the connection: the once-per-request
    rule of HTTP must not let its later operations (logins included) go uncounted."""
    app = create_app(replace(settings, rate_limit_per_minute=5), pool=pool)
    codes = []
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket,
    ):
        socket.send_json({"type": "connection_init"})
        assert socket.receive_json()["type"] == "connection_ack"
        for index in range(6):
            payload = {"query": "{ __typename }"}
            socket.send_json({"id": str(index), "type": "subscribe", "payload": payload})
            message = socket.receive_json()
            if message["type"] == "error":  # refused before execution: no `complete` follows
                codes.append(message["payload"][0]["extensions"]["code"])
                continue
            errors = message["payload"].get("errors")
            codes.append(errors[0]["extensions"]["code"] if errors else "ok")
            assert socket.receive_json()["type"] == "complete"
    assert codes == ["ok"] * 5 + ["RATE_LIMITED"]
