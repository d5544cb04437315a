"""Where uploads wait for their job: `<data dir>/spool/<job id>.csv`, kept until the job ends.

A file is written as `.part` and renamed when complete, so a spooled file is never half-written.
"""

import asyncio
import contextlib
import time
from pathlib import Path
from typing import BinaryIO, Final
from uuid import UUID

from services.errors import ErrorCode, ServiceError

COPY_CHUNK_BYTES: Final = 256 * 1024


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()

    def path_for(self, job_id: UUID) -> Path:
        return self.directory / f"{job_id}.csv"

    async def save(self, job_id: UUID, source: BinaryIO, *, max_bytes: int) -> Path:
        """Copy `source` (read from where it stands) into the job's spool file, in chunks.

        Raises PAYLOAD_TOO_LARGE, leaving nothing behind, when it holds more than `max_bytes`.
        """
        return await asyncio.to_thread(self._save, job_id, source, max_bytes)

    def _save(self, job_id: UUID, source: BinaryIO, max_bytes: int) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.path_for(job_id)
        part = final.with_suffix(".part")
        try:
            written = 0
            with part.open("wb") as target:
                while chunk := source.read(COPY_CHUNK_BYTES):
                    written += len(chunk)
                    if written > max_bytes:
                        raise ServiceError(
                            ErrorCode.PAYLOAD_TOO_LARGE,
                            f"the file is larger than the {max_bytes}-byte upload limit",
                            field="file",
                        )
                    target.write(chunk)
            part.rename(final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return final

    def files_older_than(self, seconds: float) -> dict[UUID, list[Path]]:
        """Spooled (and half-written) files not touched for `seconds`, by job id."""
        if not self.directory.exists():
            return {}
        cutoff = time.time() - seconds
        found: dict[UUID, list[Path]] = {}
        for path in self.directory.iterdir():
            try:
                job_id = UUID(path.name.split(".", 1)[0])
                stale = path.stat().st_mtime < cutoff
            except (ValueError, FileNotFoundError):
                continue
            if stale:
                found.setdefault(job_id, []).append(path)
        return found

    def discard(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
