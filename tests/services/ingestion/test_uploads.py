"""Uploads kept in the database beside the local spool, on a real PostgreSQL.

Every test works inside a transaction it rolls back: no job is ever committed, so no runner of
another test can claim one.
"""

import io
import random
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from db import ingestion as ingestion_db
from db.pool import Connection
from services.errors import ErrorCode, ServiceError
from services.ingestion.spool import Spool
from services.ingestion.uploads import CHUNK_BYTES, restore_upload, store_upload
from services.platform.ids import uuid7

CHUNKS = "select chunk, data from ingestion_upload_chunks where job_id = $1 order by chunk"
MIB = 1024 * 1024


@pytest.fixture
async def conn(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield conn
        finally:
            await transaction.rollback()


def csv_bytes(size: int) -> bytes:
    """`size` bytes of CSV (the last row cut short)."""
    rows = random.Random(size)
    lines = (f"P{i} {rows.random():.6f},f,{i % 100},NG\n".encode() for i in range(size // 20))
    data = b"name,gender,age,country_id\n" + b"".join(lines)
    assert len(data) >= size
    return data[:size]


def files(spool: Spool) -> list[str]:
    return sorted(path.name for path in spool.directory.iterdir())


async def test_upload_is_stored_in_chunks_identical_to_the_file(
    conn: Connection, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "here")
    data = csv_bytes(2 * CHUNK_BYTES + 12_345)
    job_id = uuid7()
    path = await store_upload(conn, spool, job_id, io.BytesIO(data), max_bytes=len(data))
    assert path == spool.path_for(job_id)
    assert path.read_bytes() == data
    assert files(spool) == [path.name]  # no .part left
    chunks = await conn.fetch(CHUNKS, job_id)
    assert [row["chunk"] for row in chunks] == [0, 1, 2]
    assert [len(row["data"]) for row in chunks] == [CHUNK_BYTES, CHUNK_BYTES, 12_345]
    assert b"".join(row["data"] for row in chunks) == data


async def test_another_host_restores_the_same_bytes(conn: Connection, tmp_path: Path) -> None:
    here, there = Spool(tmp_path / "here"), Spool(tmp_path / "there")
    data = csv_bytes(CHUNK_BYTES + 1)
    job_id = uuid7()
    await store_upload(conn, here, job_id, io.BytesIO(data), max_bytes=len(data))
    restored = await restore_upload(conn, there, job_id, bytes_total=len(data))
    assert restored == there.path_for(job_id)
    assert restored.read_bytes() == data
    assert files(there) == [restored.name]


async def test_an_empty_upload_is_restored_as_an_empty_file(
    conn: Connection, tmp_path: Path
) -> None:
    job_id = uuid7()
    await store_upload(conn, Spool(tmp_path / "here"), job_id, io.BytesIO(), max_bytes=10)
    assert await conn.fetch(CHUNKS, job_id) == []
    restored = await restore_upload(conn, Spool(tmp_path / "there"), job_id, bytes_total=0)
    assert restored is not None
    assert restored.read_bytes() == b""


async def test_an_upload_the_database_does_not_hold_whole_is_not_restored(
    conn: Connection, tmp_path: Path
) -> None:
    there = Spool(tmp_path / "there")
    missing, short = uuid7(), uuid7()
    data = csv_bytes(1000)
    await store_upload(conn, Spool(tmp_path / "here"), short, io.BytesIO(data), max_bytes=1000)
    assert await restore_upload(conn, there, missing, bytes_total=1000) is None
    assert await restore_upload(conn, there, short, bytes_total=1001) is None
    assert files(there) == []


async def test_upload_over_the_limit_is_refused_and_leaves_nothing(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "here")
    job_id = uuid7()
    data = csv_bytes(CHUNK_BYTES + 10)
    with pytest.raises(ServiceError) as refused:
        async with pool.acquire() as conn, conn.transaction():
            await store_upload(conn, spool, job_id, io.BytesIO(data), max_bytes=len(data) - 1)
    assert refused.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert files(spool) == []
    assert await pool.fetch(CHUNKS, job_id) == []


async def test_a_large_upload_is_stored_and_restored_in_bounded_memory(
    conn: Connection, tmp_path: Path
) -> None:
    """Python allocations peak at a few chunks (the chunk, its copy in the protocol buffer,
    the one before it), not at the file: measured 3.1 MiB to store and 3.5 MiB to restore,
    for 24 MiB as for 64 MiB."""
    size = 24 * MIB
    source = tmp_path / "large.csv"
    block = csv_bytes(MIB)
    with source.open("wb") as file:
        for _ in range(size // MIB):
            file.write(block)
    here, there = Spool(tmp_path / "here"), Spool(tmp_path / "there")
    job_id = uuid7()
    tracemalloc.start()
    try:
        with source.open("rb") as upload:
            await store_upload(conn, here, job_id, upload, max_bytes=size)
        _, stored_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        restored = await restore_upload(conn, there, job_id, bytes_total=size)
        _, restored_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert restored is not None
    assert restored.stat().st_size == size
    assert await ingestion_db.get_upload_chunk(conn, job_id=job_id, chunk=23) is not None
    assert stored_peak < 6 * CHUNK_BYTES, stored_peak
    assert restored_peak < 6 * CHUNK_BYTES, restored_peak
