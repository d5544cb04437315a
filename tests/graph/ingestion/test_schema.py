"""CSV ingestion end to end: multipart upload over HTTP, the real runner and worker processes,
a real PostgreSQL."""

import asyncio
import codecs
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from services.auth.tokens import Role
from tests.conftest import GraphQLCall, make_token
from tests.graph.ingestion.support import (
    ADMIN,
    HEADER,
    INGEST,
    JOB,
    assert_accounted,
    finished_job,
    ingest,
    reasons_of,
    submit,
    unique_prefix,
    upload,
)
from tests.services.ingestion.csv_files import GeneratedCsv, csv_files

TOTAL = "query { profiles(first: 1) { totalCount } }"


async def stored(pool: asyncpg.Pool, prefix: str) -> dict[str, asyncpg.Record]:
    rows = await pool.fetch(
        "select name, gender, age, age_group, country_id, country_name, gender_probability,"
        " country_probability from profiles where name like $1",
        prefix + "%",
    )
    return {row["name"]: row for row in rows}


async def test_every_reason_is_counted_with_line_column_and_value(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    p = unique_prefix()
    first = await ingest(client, gql, f"{HEADER}{p}Existing,f,40,NG\n".encode())
    assert first["inserted"] == 1
    data = (
        "name,gender,age,country_id,gender_probability,country_probability,age_group\n"
        f"{p}Good One,F,25,ng,0.9,,adult\n"
        f"{p}Too,Many,Columns,NG,1,1,adult,x\n"
        f",m,30,NG,,,\n"
        f"{p}Gender,woman,30,NG,,,\n"
        f"{p}Age,m,twenty-five,NG,,,\n"
        f"{p}Country,m,30,XX,,,\n"
        f"{p}Probability,m,30,NG,1.5,,\n"
        f"{p}Group,m,12,NG,,,adult\n"
        f"{p}good one,m,33,KE,,,\n"
        f"{p}EXISTING,m,50,GH,,,\n"
        "\n"
        f"{p}Good Two,M,61,gh,,0.25,senior\n"
    ).encode()
    job = await ingest(client, gql, data)
    assert job["status"] == "COMPLETED", job
    assert (job["totalRows"], job["inserted"], job["skipped"]) == (11, 2, 9)
    assert reasons_of(job) == {
        "malformed_row": 1, "missing_fields": 1, "invalid_gender": 1, "invalid_age": 1,
        "invalid_country": 1, "invalid_probability": 1, "invalid_age_group": 1,
        "duplicate_name": 2,
    }  # fmt: skip
    assert [entry["reason"] for entry in job["reasons"]] == list(reasons_of(job))  # check order
    assert [(e["line"], e["reason"], e["column"], e["value"]) for e in job["errors"]] == [
        (3, "malformed_row", None, f"{p}Too,Many,Columns,NG,1,1,adult,x"),
        (4, "missing_fields", "name", ""),
        (5, "invalid_gender", "gender", "woman"),
        (6, "invalid_age", "age", "twenty-five"),
        (7, "invalid_country", "country_id", "XX"),
        (8, "invalid_probability", "gender_probability", "1.5"),
        (9, "invalid_age_group", "age_group", "adult"),
        (10, "duplicate_name", "name", f"{p}good one"),
        (11, "duplicate_name", "name", f"{p}EXISTING"),
    ]
    assert (job["bytesRead"], job["bytesTotal"]) == (len(data), len(data))
    assert job["finishedAt"] is not None
    assert job["error"] is None
    rows = await stored(pool, p)
    assert set(rows) == {f"{p}Existing", f"{p}Good One", f"{p}Good Two"}
    good = rows[f"{p}Good One"]
    assert (good["gender"], good["age"], good["age_group"], good["country_id"]) == (
        "female",
        25,
        "adult",
        "NG",
    )
    assert (good["country_name"], good["gender_probability"], good["country_probability"]) == (
        "Nigeria",
        0.9,
        None,
    )
    assert rows[f"{p}Good Two"]["country_probability"] == 0.25


async def test_a_probability_too_small_for_a_double_is_stored_as_zero_not_a_failed_job(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    # "1e-400" is a number in 0..1, but PostgreSQL refuses to read it into a double precision
    # column (it underflows), which failed the whole batch and with it the job.
    p = unique_prefix()
    data = (
        "name,gender,age,country_id,gender_probability,country_probability\n"
        f"{p}Before,f,30,NG,,\n"
        f"{p}Tiny,f,30,NG,1e-400,0.{'0' * 400}1\n"
        f"{p}After,m,40,KE,0.5,\n"
    ).encode()
    job = await ingest(client, gql, data)
    assert (job["status"], job["error"]) == ("COMPLETED", None)
    assert (job["totalRows"], job["inserted"], job["skipped"]) == (3, 3, 0)
    tiny = (await stored(pool, p))[f"{p}Tiny"]
    assert (tiny["gender_probability"], tiny["country_probability"]) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
     ("utf-16-be", codecs.BOM_UTF16_BE), ("cp1252", b"")],
)  # fmt: skip
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
async def test_encodings_and_line_endings(
    client: httpx.AsyncClient,
    gql: GraphQLCall,
    pool: asyncpg.Pool,
    encoding: str,
    bom: bytes,
    newline: str,
) -> None:
    p = unique_prefix()
    lines = [
        " Country_ID ,NAME,Age,gender,Notes",
        f'NG,"{p}Zoé, ""the elder""",70,f,ignored',
        f'TR,"{p}Ünal{newline}Øhlin",40,m,',
        f"FR,{p}François €uro,30,m,",
    ]
    data = bom + newline.join(lines).encode(encoding) + newline.encode(encoding)
    job = await ingest(client, gql, data)
    assert (job["status"], job["totalRows"], job["inserted"]) == ("COMPLETED", 3, 3), job
    assert set(await stored(pool, p)) == {
        f'{p}Zoé, "the elder"',
        f"{p}Ünal Øhlin",
        f"{p}François €uro",
    }


async def test_missing_required_header_fails_the_job_and_inserts_nothing(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    p = unique_prefix()
    job = await ingest(client, gql, f"name,gender,country_id\n{p}Ada,f,NG\n".encode())
    assert job["status"] == "FAILED"
    assert "age" in job["error"]
    assert "required" in job["error"]
    assert (job["totalRows"], job["inserted"], job["skipped"]) == (0, 0, 0)
    assert await stored(pool, p) == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (bytes(range(256)) * 64, "required"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "required"),
    ],
)
async def test_empty_and_binary_files_fail_with_a_clear_error(
    client: httpx.AsyncClient, gql: GraphQLCall, data: bytes, message: str
) -> None:
    job = await ingest(client, gql, data)
    assert job["status"] == "FAILED"
    assert message in job["error"]
    assert job["totalRows"] == 0


async def test_header_only_file_completes_with_nothing_to_do(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    job = await ingest(client, gql, HEADER.encode())
    assert (job["status"], job["totalRows"], job["errors"]) == ("COMPLETED", 0, [])


async def test_totals_are_fresh_when_the_job_ends(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    before = (await gql(TOTAL))["data"]["profiles"]["totalCount"]
    p = unique_prefix()
    data = (HEADER + "".join(f"{p}{i},f,{i % 90},KE\n" for i in range(1200))).encode()
    job = await ingest(client, gql, data)
    assert job["inserted"] == 1200
    after = (await gql(TOTAL))["data"]["profiles"]["totalCount"]
    assert after == before + 1200


async def test_committed_rows_are_counted_by_outcome_on_metrics(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    def counted(outcome: str) -> float:
        return REGISTRY.get_sample_value("insighta_ingestion_rows_total", {"outcome": outcome}) or 0

    before = counted("inserted"), counted("invalid_age"), counted("duplicate_name")
    p = unique_prefix()
    data = f"{HEADER}{p}A,f,30,NG\n{p}B,m,old,NG\n{p}a,m,40,KE\n{p}C,f,50,GH\n".encode()
    job = await ingest(client, gql, data)
    assert (job["inserted"], job["skipped"]) == (2, 2)
    after = counted("inserted"), counted("invalid_age"), counted("duplicate_name")
    assert tuple(b - a for a, b in zip(before, after, strict=True)) == (2, 1, 1)


async def test_time_spent_per_stage_is_counted_on_metrics(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    def spent(stage: str) -> float:
        sample = REGISTRY.get_sample_value(
            "insighta_ingestion_stage_seconds_total", {"stage": stage}
        )
        return sample or 0.0

    before = {stage: spent(stage) for stage in ("insert", "commit", "staging_copy")}
    p = unique_prefix()
    job = await ingest(client, gql, (HEADER + f"{p}A,f,30,NG\n{p}B,m,40,KE\n").encode())
    assert job["inserted"] == 2
    assert all(spent(stage) > seconds for stage, seconds in before.items())


async def test_concurrent_overlapping_uploads_insert_each_name_once(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    p = unique_prefix()
    first = (HEADER + "".join(f"{p}{i},f,30,NG\n" for i in range(0, 3000))).encode()
    # Half the names again, in another case and order, with new ones after them.
    second = (
        HEADER + "".join(f"{p.upper()}{i},m,40,KE\n" for i in reversed(range(1500, 4500)))
    ).encode()
    jobs = await asyncio.gather(submit(client, first), submit(client, second))
    a, b = await asyncio.gather(*(finished_job(gql, job["id"]) for job in jobs))
    for job in (a, b):
        assert job["status"] == "COMPLETED"
        assert_accounted(job)
    assert a["inserted"] + b["inserted"] == 4500
    assert reasons_of(a).get("duplicate_name", 0) + reasons_of(b).get("duplicate_name", 0) == 1500
    count = await pool.fetchval(
        "select count(*) from profiles where name_key like $1", p.lower() + "%"
    )
    assert count == 4500


async def test_only_the_first_1000_row_errors_are_kept(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    p = unique_prefix()
    data = (HEADER + "".join(f"{p}{i},x,30,NG\n" for i in range(1200))).encode()
    job = await submit(client, data)
    done = await finished_job(gql, job["id"], first=1000)
    assert reasons_of(done) == {"invalid_gender": 1200}
    assert [e["line"] for e in done["errors"]] == list(range(2, 1002))
    assert (
        len((await gql(JOB, {"id": job["id"], "first": 0}))["data"]["ingestionJob"]["errors"]) == 0
    )
    too_many = await gql(JOB, {"id": job["id"], "first": 1001})
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_mutation_returns_at_once_with_a_queued_job(client: httpx.AsyncClient) -> None:
    job = await submit(client, HEADER.encode(), filename="queued.csv")
    assert job["status"] in ("QUEUED", "RUNNING")
    assert (job["fileName"], job["bytesTotal"], job["totalRows"]) == ("queued.csv", len(HEADER), 0)
    UUID(job["id"])


async def test_ingestion_is_admin_only(client: httpx.AsyncClient, gql: GraphQLCall) -> None:
    analyst = make_token(Role.ANALYST)
    forbidden = (await upload(client, HEADER.encode(), token=analyst)).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = (await upload(client, HEADER.encode(), token=None)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    job = await submit(client, HEADER.encode())
    read = await gql(JOB, {"id": job["id"]}, token=analyst)
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_unknown_job_is_null_and_a_bad_id_is_bad_input(gql: GraphQLCall) -> None:
    missing = await gql(JOB, {"id": "01a21ef2-541e-742a-bca6-093e5756d0e1"})
    assert missing == {"data": {"ingestionJob": None}}
    bad = await gql(JOB, {"id": "not-an-id"})
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_multipart_without_preflight_header_is_refused(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    before = await pool.fetchval("select count(*) from ingestion_jobs")
    response = await upload(client, HEADER.encode(), preflight=False)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Apollo-Require-Preflight" in response.json()["errors"][0]["message"]
    assert await pool.fetchval("select count(*) from ingestion_jobs") == before


async def test_a_file_sent_as_json_is_bad_input(gql: GraphQLCall) -> None:
    body = await gql(
        "mutation($file: Upload!) { ingestProfiles(file: $file) { id } }", {"file": "a,b"}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_broken_multipart_body_is_a_graphql_shaped_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=b'--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{',
        headers={
            "Authorization": f"Bearer {ADMIN}",
            "Apollo-Require-Preflight": "true",
            "Content-Type": "multipart/form-data; boundary=xyz",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("file_variable", "path"),
    [([None], "variables.file.first"), ([None], "variables.file.5"), (None, "variables.file.x")],
)
async def test_a_map_path_that_leads_nowhere_is_bad_input(
    client: httpx.AsyncClient, pool: asyncpg.Pool, file_variable: object, path: str
) -> None:
    # A list index that is not a number, or out of range, escaped as a 500 INTERNAL.
    before = await pool.fetchval("select count(*) from ingestion_jobs")
    operations = {"query": INGEST, "variables": {"file": file_variable}}
    response = await client.post(
        "/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": orjson.dumps({"0": [path]})},
        files={"0": ("file.csv", HEADER.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {ADMIN}", "Apollo-Require-Preflight": "true"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "map" in response.json()["errors"][0]["message"]
    assert await pool.fetchval("select count(*) from ingestion_jobs") == before


async def test_a_file_name_with_nul_is_bad_input_not_an_internal_error(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    # No file system allows NUL in a name, and PostgreSQL text cannot hold it: only a crafted
    # request sends one (httpx would escape it, hence the raw body).
    operations = orjson.dumps({"query": INGEST, "variables": {"file": None}})
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + operations
        + b'\r\n--xyz\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        b'{"0": ["variables.file"]}\r\n--xyz\r\n'
        b'Content-Disposition: form-data; name="0"; filename="a\x00b.csv"\r\n\r\n'
        + HEADER.encode()
        + b"\r\n--xyz--\r\n"
    )
    before = await pool.fetchval("select count(*) from ingestion_jobs")
    response = await client.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {ADMIN}",
            "Apollo-Require-Preflight": "true",
            "Content-Type": "multipart/form-data; boundary=xyz",
        },
    )
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert await pool.fetchval("select count(*) from ingestion_jobs") == before


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_accounting_invariant_over_generated_files(
    client: httpx.AsyncClient, gql: GraphQLCall, data: st.DataObject
) -> None:
    file: GeneratedCsv = data.draw(csv_files(max_rows=1500, prefix=unique_prefix()))
    job = await ingest(client, gql, file.data)
    assert job["status"] == "COMPLETED", job
    assert_accounted(job)
    assert job["totalRows"] == file.rows
    assert job["inserted"] == len(file.valid_names)
    assert reasons_of(job) == {reason.value: n for reason, n in file.expected.items()}


async def test_row_errors_json_values_survive_any_bytes(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    p = unique_prefix().encode()
    data = HEADER.encode() + p + b"Caf\xc3\xa9,f,30,NG\n" + p + b"Bad\xff\xfe,f,30,NG\n"
    job = await ingest(client, gql, data)
    assert (job["inserted"], reasons_of(job)) == (1, {"malformed_row": 1})
    assert job["errors"][0]["value"] == p.decode() + "Bad\\xff\\xfe,f,30,NG"
    orjson.dumps(job)  # every kept value is valid text


async def test_spool_file_and_stored_upload_are_removed_when_the_job_ends(
    client: httpx.AsyncClient, gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    job = await ingest(client, gql, HEADER.encode())
    spool = await _spool_path(client, job["id"])
    assert not spool.exists()
    chunks = "select count(*) from ingestion_upload_chunks where job_id = $1::uuid"
    assert await pool.fetchval(chunks, job["id"]) == 0


async def _spool_path(client: httpx.AsyncClient, job_id: str) -> Path:
    app = client._transport.app  # type: ignore[attr-defined]
    return Path(app.state.ingestion.spool.path_for(UUID(job_id)))
