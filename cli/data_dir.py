"""Where the client commands find the server's data dir, and what `serve` records in it.

`serve` writes its URL to `<data dir>/server.json` as it starts, so a client command run
from anywhere inside the project reaches that server (and signs a local admin token with the
key beside it) without `INSIGHTA_URL`: `INSIGHTA_DATA_DIR` when set, else the nearest
`.insighta/` folder holding a server's files, from the working directory up.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import orjson
import psutil

from services.platform.settings import Settings, declared

# The server's own declaration (docs/configuration.md), not a second copy of it.
DATA_DIR_VARIABLE, _DEFAULT_DATA_DIR = declared(Settings, "data_dir")
DATA_DIR_NAME: Final = str(_DEFAULT_DATA_DIR)
SERVER_RECORD: Final = "server.json"
# `~/.insighta/` also holds the stored login; only a folder with these is a server's.
_SERVER_FILES: Final = ("secret_key", SERVER_RECORD)


def find_data_dir(environ: Mapping[str, str], cwd: Path) -> Path | None:
    """`INSIGHTA_DATA_DIR`, else the nearest server data dir from `cwd` up, else None.

    `find_data_dir({}, Path("/repo/docs/screenshots"))` -> `/repo/.insighta` when `serve` ran in
    `/repo`.
    """
    named = environ.get(DATA_DIR_VARIABLE, "").strip()
    if named:
        return cwd / named
    for folder in (cwd, *cwd.parents):
        candidate = folder / DATA_DIR_NAME
        if any((candidate / name).is_file() for name in _SERVER_FILES):
            return candidate
    return None


def record_server(data_dir: Path, url: str) -> None:
    """Write the URL a server listens on; written whole and renamed, so a reader never sees a
    half-written file."""
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = data_dir / f".{SERVER_RECORD}.{os.getpid()}"
    partial.write_bytes(orjson.dumps({"url": url, "pid": os.getpid()}))
    partial.replace(data_dir / SERVER_RECORD)


def recorded_server_url(data_dir: Path) -> str | None:
    """The URL a `serve` with this data dir recorded, while that process still runs: a record
    left by a stopped server must not outrank a stored login to another server."""
    try:
        record = orjson.loads((data_dir / SERVER_RECORD).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    url, pid = record.get("url"), record.get("pid")
    if not isinstance(pid, int) or not psutil.pid_exists(pid):
        return None
    return url if isinstance(url, str) and url else None
