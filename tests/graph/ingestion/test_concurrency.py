"""Reads while an ingestion job commits batch after batch: every answer is a state that was
committed, never older than what had committed before the request, with pages and totals from
one state; keyset pages keep every row that existed when paging began; and the rollups equal
counts recomputed from the rows afterwards.

Deterministic: a job's batch commits in its own transaction, so its rows share one `created_at`
(the transaction's start) and the committed states are exactly "base rows plus the batches up to
one `created_at`". Answers are checked against that list, not against timings.
"""

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg
import httpx
import pytest

from db import profiles as profiles_db
from services.platform.ids import uuid7
from services.profiles.names import name_key
from tests.conftest import GraphQLCall
from tests.graph.ingestion.support import (
    assert_accounted,
    assert_rollups_match_profiles,
    finished_job,
    submit,
    unique_prefix,
)
from tests.polling import eventually

pytestmark = pytest.mark.usefixtures("demo_profiles")

HEADER: Final = "name,gender,age,country_id,gender_probability,country_probability\n"
COUNTRIES: Final = ("KE", "NG", "GH", "ZA")
# One filter per source of the exact count (db/profiles.py count_source): the totals by
# (gender, age), the rollup by country, each probability histogram (without and with a
# country), and the rows themselves (with and without a country).
FILTERS: Final[tuple[dict[str, Any], ...]] = (
    {},
    {"gender": "FEMALE", "minAge": 20, "maxAge": 45},
    {"countryId": "KE"},
    {"minGenderProbability": 0.29},
    {"minCountryProbability": 0.57, "gender": "MALE"},
    {"minGenderProbability": 0.925},
    {"countryId": "NG", "minCountryProbability": 0.5},
    {"countryId": "KE", "gender": "MALE", "minGenderProbability": 0.95, "minAge": 20},
    {"countryId": "NG", "minCountryProbability": 0.505},
)
PAGE: Final = """
query Page($filter: ProfileFilter, $first: Int) {
  profiles(filter: $filter, first: $first) {
    totalCount pageInfo { hasNextPage } edges { node { id } }
  }
}
"""
STATS: Final = """
query Stats($filter: ProfileFilter) {
  profileStats(filter: $filter, groupBy: [GENDER]) { key count }
}
"""
FIRST: Final = 50


def ingestion_file(prefix: str, rows: int) -> bytes:
    """Rows spread over genders, ages, countries and probabilities, bucket edges included
    (0.29 and 0.57 are not what they look like in binary)."""
    lines = [HEADER]
    for i in range(rows):
        gender = "f" if i % 3 else "m"
        gender_p = "" if i % 17 == 0 else f"{(i % 101) / 100}"
        country_p = "" if i % 13 == 0 else f"{(i * 7 % 101) / 100}"
        lines.append(f"{prefix}{i},{gender},{i % 97},{COUNTRIES[i % 4]},{gender_p},{country_p}\n")
    return "".join(lines).encode()


# The filter as plain SQL over `profiles`, written independently of db/profiles.py.
MATCHING: Final = """
select id, gender, created_at, name like $7 as new
  from profiles
 where ($1::text is null or gender = $1)
   and ($2::text is null or country_id = $2)
   and ($3::int is null or age >= $3)
   and ($4::int is null or age <= $4)
   and ($5::float8 is null or gender_probability >= $5)
   and ($6::float8 is null or country_probability >= $6)
"""


def sql_args(graphql_filter: dict[str, Any], new: str = "") -> tuple[Any, ...]:
    """MATCHING's arguments; rows whose name starts with `new` are marked new."""
    gender = graphql_filter.get("gender")
    return (
        gender.lower() if gender else None,
        graphql_filter.get("countryId"),
        graphql_filter.get("minAge"),
        graphql_filter.get("maxAge"),
        graphql_filter.get("minGenderProbability"),
        graphql_filter.get("minCountryProbability"),
        new + "%",
    )


async def count_rows(pool: asyncpg.Pool, graphql_filter: dict[str, Any]) -> int:
    return len(await pool.fetch(MATCHING, *sql_args(graphql_filter)))


@dataclass(frozen=True, slots=True)
class State:
    """What one filter matched in one committed state: counts per gender, the first page."""

    genders: Counter[str]
    first_page: list[str]

    @property
    def total(self) -> int:
        return sum(self.genders.values())


async def committed_states(pool: asyncpg.Pool, prefix: str) -> dict[int, list[State]]:
    """For each filter, what it matched before the job and after each of its batches.

    Nothing else writes during the test: the rows not named with `prefix` were there before.
    """
    states: dict[int, list[State]] = {}
    for index, graphql_filter in enumerate(FILTERS):
        rows = await pool.fetch(MATCHING, *sql_args(graphql_filter, prefix))
        batches = sorted({row["created_at"] for row in rows if row["new"]})
        states[index] = []
        for end in [None, *batches]:
            visible = [row for row in rows if not row["new"] or (end and row["created_at"] <= end)]
            # The default order: newest first, ties by id (uuid order is byte order).
            visible.sort(key=lambda row: (row["created_at"], row["id"]), reverse=True)
            states[index].append(
                State(
                    Counter(row["gender"].upper() for row in visible),
                    [str(row["id"]) for row in visible[:FIRST]],
                )
            )
    return states


async def job_status(pool: asyncpg.Pool, job_id: str) -> str:
    return str(await pool.fetchval("select status from ingestion_jobs where id = $1::uuid", job_id))


async def test_answers_during_ingestion_are_committed_states_never_older_than_the_last_commit(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    prefix = unique_prefix()
    rows = 6_000
    job = await submit(client, ingestion_file(prefix, rows))
    observed: list[tuple[int, str, int, Counter[str], Any]] = []

    async def ask(index: int, kind: str) -> None:
        graphql_filter = FILTERS[index]
        before = await count_rows(pool, graphql_filter)
        if kind == "page":
            body = await gql(PAGE, {"filter": graphql_filter, "first": FIRST})
            answer: Any = body["data"]["profiles"]
            total = answer["totalCount"]
            groups: Counter[str] = Counter()
        else:
            body = await gql(STATS, {"filter": graphql_filter})
            answer = body["data"]["profileStats"]
            groups = Counter({g["key"]["gender"]: g["count"] for g in answer})
            total = sum(groups.values())
        after = await count_rows(pool, graphql_filter)
        observed.append((index, kind, total, groups, answer))
        # Never older than what had committed before the request; never newer than after it.
        assert before <= total <= after, (graphql_filter, kind, before, total, after)

    async def reader(seed: int) -> None:
        chooser = random.Random(seed)
        while await job_status(pool, job["id"]) in ("QUEUED", "RUNNING"):
            await ask(chooser.randrange(len(FILTERS)), chooser.choice(("page", "stats")))

    await asyncio.wait_for(asyncio.gather(*(reader(seed) for seed in range(3))), 120)
    done = await finished_job(gql, job["id"])
    assert done["status"] == "COMPLETED"
    assert done["inserted"] == rows
    assert_accounted(done)

    states = await committed_states(pool, prefix)
    assert len(states[0]) > 3, "the job committed in several batches"
    mid_job = 0
    for index, kind, total, groups, answer in observed:
        totals = [state.total for state in states[index]]
        assert total in totals, (FILTERS[index], kind, total, totals)
        mid_job += totals[0] < total < totals[-1]
        if kind == "page":
            # Page and total from one state: the state that total identifies (a batch that
            # adds no matching row leaves the same rows, so any state with it will do).
            pages = [s.first_page for s in states[index] if s.total == total]
            ids = [edge["node"]["id"] for edge in answer["edges"]]
            assert ids in pages, (FILTERS[index], total)
            assert answer["pageInfo"]["hasNextPage"] == (total > FIRST)
        else:
            # Every group from one and the same state.
            assert +groups in [+s.genders for s in states[index]], (FILTERS[index], groups)
    assert mid_job > 0, "no answer was read while the job was half done"
    await assert_rollups_match_profiles(pool)


SORTS: Final = (
    {"field": "CREATED_AT", "order": "DESC"},
    {"field": "NAME", "order": "ASC"},
    {"field": "AGE", "order": "ASC"},
    {"field": "GENDER_PROBABILITY", "order": "DESC"},
    {"field": "COUNTRY_PROBABILITY", "order": "ASC"},
)
WALK: Final = """
query Walk($filter: ProfileFilter, $sort: ProfileSort, $after: String) {
  profiles(filter: $filter, sort: $sort, first: 97, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id } }
  }
}
"""


async def test_keyset_pages_keep_every_row_that_existed_while_rows_are_inserted(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    prefix = unique_prefix()
    graphql_filter = {"countryId": "NG"}
    job = await submit(client, ingestion_file(prefix, 12_000))
    walks = grown = 0
    while walks < len(SORTS) or await job_status(pool, job["id"]) in ("QUEUED", "RUNNING"):
        sort = SORTS[walks % len(SORTS)]
        matching = await pool.fetch(MATCHING, *sql_args(graphql_filter))
        existing = {str(row["id"]) for row in matching}
        seen: list[str] = []
        after = None
        while True:
            body = await gql(WALK, {"filter": graphql_filter, "sort": sort, "after": after})
            page = body["data"]["profiles"]
            seen.extend(edge["node"]["id"] for edge in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)), (sort, "a row was served twice")
        missing = existing - set(seen)
        assert not missing, (sort, len(missing), "rows that existed were skipped")
        walks += 1
        grown += len(await pool.fetch(MATCHING, *sql_args(graphql_filter))) > len(existing)
    assert grown > 0, "no walk had rows inserted under it"
    done = await finished_job(gql, job["id"])
    assert done["status"] == "COMPLETED"
    await assert_rollups_match_profiles(pool)


async def test_rollups_are_exact_after_concurrent_overlapping_jobs(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    prefix = unique_prefix()
    files = [
        ingestion_file(prefix, 6_000),
        # The same names in another case, attributes differing: whoever commits first wins.
        ingestion_file(prefix.upper(), 4_000).replace(b",KE,", b",GH,"),
        ingestion_file(prefix.lower(), 8_000),
    ]
    jobs = await asyncio.gather(*(submit(client, data) for data in files))
    done = await asyncio.gather(*(finished_job(gql, job["id"], within=90) for job in jobs))
    for job in done:
        assert job["status"] == "COMPLETED"
        assert_accounted(job)
    assert sum(job["inserted"] for job in done) == 8_000
    stored = await pool.fetchval(
        "select count(*) from profiles where name_key like $1", prefix.lower() + "%"
    )
    assert stored == 8_000
    await assert_rollups_match_profiles(pool)


WAITING_BATCH: Final = """
select pid from pg_stat_activity
 where wait_event_type = 'Lock' and query like '%insert into profiles%ingestion_staging%'
"""
JOB_ROW: Final = "select status, inserted, attempt from ingestion_jobs where id = $1::uuid"
ATTEMPT: Final = "select attempt from ingestion_jobs where id = $1::uuid"


async def claimed_again(pool: asyncpg.Pool, job_id: str, attempt: int) -> None:
    """Wait for the next claim, which comes only once the interrupted batch has rolled back."""
    await eventually(
        lambda: pool.fetchval(ATTEMPT, job_id),
        lambda now: bool(now == attempt + 1),
        message="the job to be claimed again",
    )


async def test_batches_cancelled_mid_write_leave_exact_rows_counts_and_rollups(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    """A batch is held at its data version bump (the last write of its transaction), then
    cancelled: it rolls back whole, and the job resumes from its last committed batch."""
    prefix = unique_prefix()
    rows = 6_000
    job = await submit(client, ingestion_file(prefix, rows))
    async with pool.acquire() as blocker:
        for _ in range(2):
            async with blocker.transaction():
                # Readers of data_version are not blocked; the rollup upkeep's update is
                # (db/rollups.py), and with it every batch's commit (each inserts rows):
                # nothing commits until this ends.
                await blocker.execute("lock table data_version in exclusive mode")
                pid = await eventually(
                    lambda: pool.fetchval(WAITING_BATCH), message="a batch waiting on the lock"
                )
                attempt = await pool.fetchval(ATTEMPT, job["id"])
                assert await pool.fetchval("select pg_cancel_backend($1)", pid)
                await claimed_again(pool, job["id"], attempt)
                job_row = await pool.fetchrow(JOB_ROW, job["id"])
                assert job_row is not None
                committed = await pool.fetchval(
                    "select count(*) from profiles where name like $1", prefix + "%"
                )
                assert committed == job_row["inserted"], "the cancelled batch left rows behind"
    done = await finished_job(gql, job["id"], within=60)
    assert done["status"] == "COMPLETED"
    assert_accounted(done)
    assert done["inserted"] == rows
    record = await pool.fetchrow(JOB_ROW, job["id"])
    assert record is not None
    assert record["attempt"] == 3  # claimed, interrupted twice, resumed each time
    stored = await pool.fetchval("select count(*) from profiles where name like $1", prefix + "%")
    assert stored == rows
    await assert_rollups_match_profiles(pool)


async def test_a_name_taken_by_another_writer_after_the_lookup_is_a_duplicate_once(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    """A name another transaction inserted and has not committed: the batch waits for it
    (ON CONFLICT), then skips it: counted a duplicate once, stored once, rollups exact."""
    prefix = unique_prefix()
    rows = 300
    taken = f"{prefix}150"
    now = datetime.now(UTC)
    async with pool.acquire() as other, other.transaction():
        await profiles_db.insert_profiles(
            other,
            [(uuid7(), taken, name_key(taken), "female", None, 30, "NG", "Nigeria", None, now)],
        )
        job = await submit(client, ingestion_file(prefix, rows))
        await eventually(
            lambda: pool.fetchval(WAITING_BATCH), message="the batch waiting on the name"
        )
    done = await finished_job(gql, job["id"], within=60)
    assert done["status"] == "COMPLETED"
    assert_accounted(done)
    assert (done["inserted"], done["skipped"]) == (rows - 1, 1)
    assert [(e["line"], e["reason"]) for e in done["errors"]] == [(152, "duplicate_name")]
    stored = await pool.fetchval("select count(*) from profiles where name like $1", prefix + "%")
    assert stored == rows
    await assert_rollups_match_profiles(pool)
