"""Where uploads wait for their job: `<data dir>/spool/<job id>.csv`, kept until the job ends.

A file is written as `.part` and renamed when complete, so a spooled file is never half-written.
Parse processes read it by path and byte offset; `services.ingestion.uploads` fills it, from the
upload or from the copy in the database.
"""

import contextlib
import time
from pathlib import Path
from uuid import UUID


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()

    def path_for(self, job_id: UUID) -> Path:
        return self.directory / f"{job_id}.csv"

    def create(self, job_id: UUID) -> "SpoolFile":
        """Start writing the job's spool file (blocking: call it off the event loop)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return SpoolFile(self.path_for(job_id))

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


class SpoolFile:
    """A spool file being written: `.part` until `finish()` moves it into place.

    Its methods block; call them off the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._part = path.with_suffix(".part")
        self._file = self._part.open("wb")

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def finish(self) -> Path:
        self._file.close()
        self._part.rename(self.path)
        return self.path

    def abandon(self) -> None:
        """Remove what was written (nothing happens after `finish`)."""
        self._file.close()
        self._part.unlink(missing_ok=True)
