"""The response cache (server/response_cache.py): repeated cacheable queries answered from
stored bytes with no database statement, equal to what execution answers, fresh after every
write made through the API (in this process or another, with and without Redis), revalidated
with ETags, and never a way around permissions or rate limits."""

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from db.rollups import written_then_applied
from server.app import create_app
from services.auth.tokens import Role
from services.ingestion.pacing import QueryActivity
from services.platform import data_version
from services.platform.ids import uuid7
from services.platform.settings import Settings
from services.profiles.names import name_key
from tests.conftest import TEST_SECRET, StatementLog, make_token
from tests.live_server import start_live_server, stop_live_server
from tests.redis_server import REDIS_URL, redis_is_reachable

pytestmark = pytest.mark.usefixtures("demo_profiles")

BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]
PAGE = """
query Page($filter: ProfileFilter, $first: Int) {
  profiles(filter: $filter, first: $first) {
    totalCount
    edges { node { id name gender genderProbability age ageGroup countryId countryName
                   countryProbability createdAt } }
  }
}
"""
# A write through the write path (db/rollups.py): the profile, its rollups, the data version.
INSERT = written_then_applied(
    """
insert into profiles (name, name_key, gender, gender_probability, age, country_id, country_name,
                      country_probability, created_at)
values ($1, $2, 'female', 0.9, 30, 'NG', 'Nigeria', 0.5, now())
""",
    sign=1,
)
NIGERIAN_WOMEN = {"filter": {"countryId": "NG", "gender": "FEMALE"}, "first": 5}
ANALYST = make_token(Role.ANALYST)
ADMIN = make_token(Role.ADMIN)

Post = Callable[..., Any]


@pytest.fixture(params=BACKENDS)
async def http(
    request: pytest.FixtureRequest, settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its lifespan (the LISTEN connection) and the response cache on."""
    redis_url = REDIS_URL if request.param == "redis" else None
    async with _serving(settings, pool, database_dsn, redis_url=redis_url) as (_, client):
        yield client


@contextlib.contextmanager
def _confirmation_paused() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data_version, "CONFIRM_SECONDS", 3600.0)
        yield


@contextlib.asynccontextmanager
async def _serving(
    settings: Settings, pool: asyncpg.Pool, dsn: str, **changes: Any
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """An app with its lifespan (the LISTEN connection) and the response cache on, from the
    moment its live version is known."""
    app = create_app(
        dataclasses.replace(settings, response_cache=True, **changes), pool=pool, dsn=dsn
    )
    transport = httpx.ASGITransport(app=app)
    # The version's once-a-second confirmation would be counted in the tests' statement
    # windows: the first read, before any test request, is all these apps make.
    with _confirmation_paused():
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            await _until(lambda: app.state.live_version.known() is not None, "the live version")
            yield app, client


async def _until(condition: Callable[[], object], what: str, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = ANALYST,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )


async def test_a_repeated_page_is_the_same_bytes_with_no_statement(
    http: httpx.AsyncClient, sql_log: StatementLog
) -> None:
    first = await _post(http, PAGE, NIGERIAN_WOMEN)
    with sql_log.counting() as hit:
        second = await _post(http, PAGE, NIGERIAN_WOMEN)
    assert first.status_code == second.status_code == 200
    assert "errors" not in first.json()
    assert second.content == first.content
    assert hit.statements == 0
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == "private, no-cache"
    # Variables in another key order are the same request.
    reordered = {"first": 5, "filter": {"gender": "FEMALE", "countryId": "NG"}}
    with sql_log.counting() as again:
        third = await _post(http, PAGE, reordered)
    assert (third.content, again.statements) == (first.content, 0)


async def test_a_matching_if_none_match_is_a_304_without_a_body(http: httpx.AsyncClient) -> None:
    first = await _post(http, PAGE, NIGERIAN_WOMEN)
    etag = first.headers["etag"]
    # A POST gets its answer whatever it says; a GET is Not Modified.
    posted = await _post(http, PAGE, NIGERIAN_WOMEN, headers={"If-None-Match": etag})
    assert (posted.status_code, posted.content) == (200, first.content)
    params = {"query": PAGE, "variables": json.dumps(NIGERIAN_WOMEN)}
    revalidated = await http.get(
        "/graphql",
        params=params,
        headers={"Authorization": f"Bearer {ANALYST}", "If-None-Match": etag},
    )
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["etag"] == etag
    other = await _post(http, PAGE, NIGERIAN_WOMEN, headers={"If-None-Match": '"stale"'})
    assert (other.status_code, other.content) == (200, first.content)


async def test_a_write_through_the_api_is_read_by_the_next_request(
    http: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as conn:
        name = f"Rc {uuid.uuid4().hex[:10]}"
        await conn.execute(INSERT, name, name_key(name))
        profile_id = await conn.fetchval(
            "select id from profiles where name_key = $1", name_key(name)
        )
    # The direct insert is heard by notification; the API's own delete below is not waited for.
    await _until_fresh(http, lambda total: total is not None)
    before = (await _post(http, PAGE, NIGERIAN_WOMEN)).json()["data"]["profiles"]["totalCount"]
    deleted = await _post(
        http, "mutation($id: ID!) { deleteProfile(id: $id) }", {"id": str(profile_id)}, token=ADMIN
    )
    assert deleted.json() == {"data": {"deleteProfile": True}}
    after = (await _post(http, PAGE, NIGERIAN_WOMEN)).json()["data"]["profiles"]["totalCount"]
    assert after == before - 1


async def _until_fresh(http: httpx.AsyncClient, accept: Callable[[int | None], bool]) -> None:
    async with asyncio.timeout(10):
        while True:
            body = (await _post(http, PAGE, NIGERIAN_WOMEN)).json()
            if accept(body["data"]["profiles"]["totalCount"]):
                return
            # A cache hit in memory never suspends: without a real pause this loop would hold
            # the event loop, and the listener could never deliver the notification it awaits
            # (nor the timeout fire). Seen in CI: 120 s, then pytest-timeout.
            await asyncio.sleep(0.01)


async def test_a_write_from_outside_the_api_is_served_once_its_notification_arrives(
    http: httpx.AsyncClient, database_dsn: str
) -> None:
    before = (await _post(http, PAGE, NIGERIAN_WOMEN)).json()["data"]["profiles"]["totalCount"]
    writer = await asyncpg.connect(database_dsn)
    try:
        name = f"Rc {uuid.uuid4().hex[:10]}"
        await writer.execute(INSERT, name, name_key(name))
    finally:
        await writer.close()
    await _until_fresh(http, lambda total: total == before + 1)


async def test_a_cached_answer_is_no_way_around_permissions(http: httpx.AsyncClient) -> None:
    cached = await _post(http, PAGE, NIGERIAN_WOMEN, token=ADMIN)
    assert "errors" not in cached.json()
    for token in (
        make_token(Role.RECRUITER),
        None,
        "not-a-token",
        make_token(Role.ANALYST, ttl=-5),
    ):
        refused = (await _post(http, PAGE, NIGERIAN_WOMEN, token=token)).json()
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
        # A refusal is never stored: the analyst still gets the data.
    allowed = await _post(http, PAGE, NIGERIAN_WOMEN, token=ANALYST)
    assert allowed.json()["data"] == cached.json()["data"]


async def test_answers_with_errors_and_mutations_are_never_stored(
    http: httpx.AsyncClient, sql_log: StatementLog
) -> None:
    bad = {"filter": {"countryId": "XX"}, "first": 5}
    first = await _post(http, PAGE, bad)
    assert first.json()["errors"]
    assert "etag" not in first.headers
    mutation = f'mutation {{ deleteProfile(id: "{uuid7()}") }}'
    for _ in range(2):
        with sql_log.counting() as run:
            answer = await _post(http, mutation, token=ADMIN)
        assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert run.statements > 0
        assert "etag" not in answer.headers


async def test_a_persisted_query_over_get_is_served_from_the_cache(
    http: httpx.AsyncClient, sql_log: StatementLog
) -> None:
    digest = hashlib.sha256(PAGE.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registered = await http.post(
        "/graphql",
        json={"query": PAGE, "variables": NIGERIAN_WOMEN, "extensions": extensions},
        headers={"Authorization": f"Bearer {ANALYST}"},
    )
    params = {"variables": json.dumps(NIGERIAN_WOMEN), "extensions": json.dumps(extensions)}
    with sql_log.counting() as hit:
        fetched = await http.get(
            "/graphql", params=params, headers={"Authorization": f"Bearer {ANALYST}"}
        )
    assert (fetched.status_code, fetched.content, hit.statements) == (200, registered.content, 0)
    assert fetched.headers["etag"] == registered.headers["etag"]


async def test_the_type_name_is_public_and_the_same_for_everyone(
    http: httpx.AsyncClient, sql_log: StatementLog
) -> None:
    first = await _post(http, "{ __typename }", token=None)
    with sql_log.counting() as hit:
        second = await _post(http, "{ __typename }", token=ANALYST)
    assert second.content == first.content == b'{"data":{"__typename":"Query"}}'
    assert hit.statements == 0


async def test_cached_answers_count_against_the_rate_limit(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> None:
    async with _serving(settings, pool, database_dsn, rate_limit_per_minute=3) as (_, client):
        token = make_token(Role.ANALYST, ttl=600) + ""
        statuses = [
            (await _post(client, PAGE, NIGERIAN_WOMEN, token=token)).status_code for _ in range(5)
        ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


async def test_a_miss_counts_once_against_the_rate_limit(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> None:
    """Paging through a known document (new variables each time: every request a miss) counts
    each request once, as execution alone would, not once at the lookup and again in the view."""
    async with _serving(settings, pool, database_dsn, rate_limit_per_minute=4) as (_, client):
        token = make_token(Role.ANALYST, ttl=600)
        statuses = [
            (await _post(client, PAGE, {"first": first}, token=token)).status_code
            for first in range(1, 7)
        ]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_an_empty_operation_name_is_not_the_absent_one(
    http: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """`"operationName": ""` names no operation of the document: execution refuses it, and a
    stored answer for the request without a name must not stand in for that refusal."""
    query = "query Named { __typename }"
    for app in (client, http, http):
        assert (await app.post("/graphql", json={"query": query})).status_code == 200
    refused = await client.post("/graphql", json={"query": query, "operationName": ""})
    assert refused.status_code == 400
    answered = await http.post("/graphql", json={"query": query, "operationName": ""})
    assert (answered.status_code, answered.content) == (400, refused.content)


async def test_a_persisted_query_execution_refuses_is_refused_on_a_hit(
    http: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """A text sent with a hash that is not its own, or a persistedQuery of another version:
    execution refuses them, and the stored answer for the text (or the hash) must not stand in."""
    digest = hashlib.sha256(PAGE.encode()).hexdigest()
    plain = {"query": PAGE, "variables": NIGERIAN_WOMEN}
    registered = {**plain, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    for body in (plain, plain, registered):
        assert "errors" not in (await http.post("/graphql", json=body, headers=_AUTH)).json()
    refused_bodies: list[dict[str, Any]] = [
        {**plain, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
        {**plain, "extensions": {"persistedQuery": {"version": 2, "sha256Hash": digest}}},
        {
            "variables": NIGERIAN_WOMEN,
            "extensions": {"persistedQuery": {"version": 2, "sha256Hash": digest}},
        },
    ]
    for refused in refused_bodies:
        executed = await client.post("/graphql", json=refused, headers=_AUTH)
        assert executed.json()["errors"]
        answered = await http.post("/graphql", json=refused, headers=_AUTH)
        assert (answered.status_code, answered.content) == (executed.status_code, executed.content)


_AUTH = {"Authorization": f"Bearer {ANALYST}"}


async def test_empty_variables_or_extensions_over_get_are_refused_as_execution_refuses(
    http: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """`?variables=` and `?extensions=` are not objects: execution answers 400, a stored
    answer for the request without them must not stand in."""
    query = 'query Named($a: String = "Query") { __type(name: $a) { name } }'
    for app in (client, http, http):
        assert (await app.get("/graphql", params={"query": query})).status_code == 200
    for empty in ("variables", "extensions"):
        params = {"query": query, empty: ""}
        refused = await client.get("/graphql", params=params)
        assert refused.status_code == 400
        answered = await http.get("/graphql", params=params)
        assert (answered.status_code, answered.content) == (400, refused.content)


EQUIVALENCE_CASES: list[tuple[str, dict[str, Any]]] = [
    (PAGE, NIGERIAN_WOMEN),
    (PAGE, {"filter": {"minAge": 20, "maxAge": 45, "countryId": "KE"}, "first": 20}),
    (PAGE, {"first": 1}),
    (
        "query($q: String) { profiles(query: $q, first: 7) { totalCount"
        " edges { cursor node { name age } } pageInfo { hasNextPage endCursor } } }",
        {"q": "young men from ghana"},
    ),
    (
        "query($g: [ProfileDimension!]!) { profileStats(groupBy: $g) { key count } }",
        {"g": ["COUNTRY", "GENDER"]},
    ),
    (
        "query($t: String!) {"
        " interpretQuery(text: $t) { text unmatched filter { gender countryId } } }",
        {"t": "Nigerian females aged 20 to 45"},
    ),
    ("query { a: __typename ...F } fragment F on Query { profiles(first: 2) { totalCount } }", {}),
]


@pytest.mark.parametrize(("query", "variables"), EQUIVALENCE_CASES)
async def test_every_cached_answer_equals_the_executed_one(
    http: httpx.AsyncClient, client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    """`client` is the session's app, with the response cache off: execution's own answer."""
    executed = await _post(client, query, variables)
    miss = await _post(http, query, variables)
    hit = await _post(http, query, variables)
    assert "errors" not in executed.json(), executed.json()
    assert executed.content == miss.content == hit.content
    assert "etag" in hit.headers


def _live_pair(database_dsn: str, tmp: Any, env: dict[str, str]) -> list[Any]:
    for name in ("one", "two"):
        (tmp / name).mkdir()
    return [
        start_live_server(
            database_url=database_dsn,
            secret_key=TEST_SECRET.reveal(),
            directory=tmp / name,
            env=env,
        )
        for name in ("one", "two")
    ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_write_through_one_process_is_read_through_another(
    database_dsn: str, tmp_path: Any, backend: str
) -> None:
    env = {"REDIS_URL": REDIS_URL} if backend == "redis" else {}
    servers = _live_pair(database_dsn, tmp_path, env)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            one, two = (server.graphql_url for server in servers)
            headers = {"Authorization": f"Bearer {ADMIN}"}
            for _ in range(5):
                before = await client.post(
                    two, json={"query": PAGE, "variables": NIGERIAN_WOMEN}, headers=headers
                )
                total = before.json()["data"]["profiles"]["totalCount"]
                again = await client.post(
                    two, json={"query": PAGE, "variables": NIGERIAN_WOMEN}, headers=headers
                )
                assert again.content == before.content
                assert "etag" in again.headers  # a cacheable answer
                newest = before.json()["data"]["profiles"]["edges"][0]["node"]["id"]
                deleted = await client.post(
                    one,
                    json={
                        "query": "mutation($id: ID!) { deleteProfile(id: $id) }",
                        "variables": {"id": newest},
                    },
                    headers=headers,
                )
                assert deleted.json() == {"data": {"deleteProfile": True}}
                after = await client.post(
                    two, json={"query": PAGE, "variables": NIGERIAN_WOMEN}, headers=headers
                )
                assert after.json()["data"]["profiles"]["totalCount"] == total - 1
    finally:
        for server in servers:
            stop_live_server(server)


async def test_what_it_remembers_of_operations_is_bounded(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> None:
    """A flood of distinct documents, or one with a giant operation name, executes as usual
    and leaves at most `max_known_operations` entries behind."""
    async with _serving(settings, pool, database_dsn) as (app, client):
        app.state.response_cache.max_known_operations = 5
        for index in range(20):
            answer = await _post(client, f"query Q{index} {{ __typename }}")
            assert answer.json() == {"data": {"__typename": "Query"}}
        assert app.state.response_cache.known_operations == 5
        giant = "N" * 10_000
        answer = await _post(client, f"query {giant} {{ __typename }}", token=None)
        assert answer.json() == {"data": {"__typename": "Query"}}
        assert app.state.response_cache.known_operations == 5
        named = await client.post(
            "/graphql", json={"query": f"query {giant} {{ __typename }}", "operationName": giant}
        )
        assert named.json() == {"data": {"__typename": "Query"}}
        assert "etag" not in named.headers  # never stored, never remembered


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stored_responses_never_hold_more_than_their_byte_budget(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str, backend: str
) -> None:
    """Anonymous introspection answers (~28 KB each), made distinct by a comment: the store,
    in the process or in Redis, keeps at most RESPONSE_CACHE_MAX_BYTES of them."""
    budget = 1024 * 1024
    introspection = "{ __schema { types { name description fields { name description } } } }"
    redis_url = REDIS_URL if backend == "redis" else None
    changes = {"response_cache_max_bytes": budget, "redis_url": redis_url}
    async with _serving(settings, pool, database_dsn, **changes) as (app, client):
        sizes = []
        for index in range(100):
            answer = await _post(client, f"# {uuid.uuid4()} {index}\n{introspection}", token=None)
            assert answer.status_code == 200
            sizes.append(len(answer.content))
        assert sum(sizes) > 2 * budget  # the flood was bigger than the budget
        held = await app.state.response_cache.store.held_bytes()
        assert 0 < held <= budget


async def test_a_hash_alone_is_answered_only_while_its_text_is_registered(
    http: httpx.AsyncClient,
) -> None:
    """The text ran without its hash: the answer is stored, but the hash alone is unknown to
    the persisted queries, so it is PERSISTED_QUERY_NOT_FOUND, as execution says."""
    query = f"query Unregistered{uuid.uuid4().hex[:8]} {{ profiles(first: 2) {{ totalCount }} }}"
    assert "errors" not in (await _post(http, query)).json()
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    alone = await http.post(
        "/graphql",
        json={"extensions": extensions},
        headers={"Authorization": f"Bearer {ANALYST}"},
    )
    assert alone.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_cached_answer_of_a_profile_read_counts_as_a_profile_read(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str, sql_log: StatementLog
) -> None:
    """Ingestion weighs what its commits cost the reads of the profiles, the cached ones too
    (services/ingestion/pacing.py): each answer from the cache is a profile read, and those
    served while a job runs are the job's. A cached answer of an operation that reads no
    profile is not."""
    async with _serving(settings, pool, database_dsn) as (app, http):
        activity = app.state.activity = QueryActivity()
        interpret = '{ interpretQuery(text: "women in Kenya") { unmatched } }'
        for _ in range(6):
            assert (await _post(http, interpret)).status_code == 200
        assert not activity.busy()
        assert (await _post(http, PAGE, NIGERIAN_WOMEN)).status_code == 200  # executed
        with sql_log.counting() as hits:
            for _ in range(3):
                assert (await _post(http, PAGE, NIGERIAN_WOMEN)).status_code == 200
        assert hits.statements == 0
        assert activity.busy()
        assert not activity.knows_idle_level()  # 4 reads so far: a level needs 5
        assert (await _post(http, PAGE, NIGERIAN_WOMEN)).status_code == 200
        assert activity.knows_idle_level()
        with activity.ingesting():
            assert activity.slowdown() is None  # nothing read during the job yet
            for _ in range(5):
                assert (await _post(http, PAGE, NIGERIAN_WOMEN)).status_code == 200
            assert activity.slowdown() is not None


async def test_a_refused_cached_answer_is_no_profile_read(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> None:
    async with _serving(settings, pool, database_dsn, rate_limit_per_minute=3) as (app, http):
        activity = app.state.activity = QueryActivity()
        token = make_token(Role.ANALYST, ttl=600)
        statuses = [
            (await _post(http, PAGE, NIGERIAN_WOMEN, token=token)).status_code for _ in range(8)
        ]
        assert statuses == [200] * 3 + [429] * 5
        assert not activity.knows_idle_level()  # 3 reads: the 429s are none


class ManualClock:
    now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_body_sent_slowly_is_not_a_slow_read(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> None:
    """A read is timed once its request's body is in: a client that trickles its body must
    not make ingestion believe reads suffer (and hold it at its slowest)."""
    clock = ManualClock()
    async with _serving(settings, pool, database_dsn) as (app, http):
        activity = app.state.activity = QueryActivity(clock)
        for _ in range(5):  # the level: reads of 10 ms without a job
            ticket = activity.started()
            clock.now += 0.010
            activity.finished(ticket)
        body = json.dumps({"query": PAGE, "variables": NIGERIAN_WOMEN}).encode()

        async def trickled() -> AsyncIterator[bytes]:
            for start in range(0, len(body), len(body) // 4 + 1):
                await asyncio.sleep(0.1)
                yield body[start : start + len(body) // 4 + 1]

        with activity.ingesting():
            for _ in range(6):  # the first executes, the rest are cached answers
                response = await http.post(
                    "/graphql",
                    content=trickled(),
                    headers={
                        "Authorization": f"Bearer {ANALYST}",
                        "Content-Type": "application/json",
                    },
                )
                assert response.status_code == 200, response.text
            slowdown = activity.slowdown()
    # Each body took 0.4 s to arrive: counted, that is a slowdown of 40 or more.
    assert slowdown is not None
    assert slowdown < 10
