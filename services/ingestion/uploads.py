"""An upload is kept twice until its job ends: in the local spool, which parse processes read by
path and offset, and in the database in 1 MiB chunks, from which a process on another host
restores its own spool before it takes the job over. No storage is shared but the database.

Both directions stream one chunk at a time: memory stays flat whatever the file size.
"""

import asyncio
import itertools
from pathlib import Path
from typing import BinaryIO, Final
from uuid import UUID

from db import ingestion as ingestion_db
from db.pool import Connection
from services.errors import ErrorCode, ServiceError
from services.ingestion.spool import Spool, SpoolFile

# Big enough that a row per chunk costs nothing next to its bytes (a statement per MiB), small
# enough to hold one in memory.
CHUNK_BYTES: Final = 1024 * 1024


async def store_upload(
    conn: Connection, spool: Spool, job_id: UUID, source: BinaryIO, *, max_bytes: int
) -> Path:
    """Copy `source` (read from where it stands) into the job's spool file and the database.

    Run it inside the transaction that inserts the job row, so that the job and its whole
    upload commit together. Raises PAYLOAD_TOO_LARGE when `source` holds more than
    `max_bytes`; on any failure the spool file is removed (and the chunks roll back with the
    transaction)."""
    file = await asyncio.to_thread(spool.create, job_id)
    try:
        written = 0
        for number in itertools.count():
            data = await asyncio.to_thread(_copy_chunk, source, file, written, max_bytes)
            if not data:
                break
            written += len(data)
            await ingestion_db.insert_upload_chunk(conn, job_id=job_id, chunk=number, data=data)
        return await asyncio.to_thread(file.finish)
    except BaseException:
        file.abandon()
        raise


async def restore_upload(
    conn: Connection, spool: Spool, job_id: UUID, *, bytes_total: int
) -> Path | None:
    """Write the job's upload from the database into the local spool, chunk by chunk.

    None (and no file) when the database does not hold all `bytes_total` bytes of it: a job
    submitted by a release that did not store uploads."""
    file = await asyncio.to_thread(spool.create, job_id)
    try:
        restored = 0
        for number in itertools.count():
            data = await ingestion_db.get_upload_chunk(conn, job_id=job_id, chunk=number)
            if data is None:
                break
            await asyncio.to_thread(file.write, data)
            restored += len(data)
        if restored != bytes_total:
            file.abandon()
            return None
        return await asyncio.to_thread(file.finish)
    except BaseException:
        file.abandon()
        raise


def _copy_chunk(source: BinaryIO, file: SpoolFile, written: int, max_bytes: int) -> bytes:
    """The next chunk of `source`, written to `file`; PAYLOAD_TOO_LARGE past `max_bytes`."""
    data = source.read(CHUNK_BYTES)
    if written + len(data) > max_bytes:
        raise ServiceError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"the file is larger than the {max_bytes}-byte upload limit",
            field="file",
        )
    file.write(data)
    return data
