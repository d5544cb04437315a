"""The stored login (`insighta login`): one server URL and its token, readable by the owner only."""

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import orjson


@dataclass(frozen=True, slots=True)
class StoredLogin:
    url: str
    token: str


def load_login(path: Path) -> StoredLogin | None:
    """The stored login, or None when there is none or it is unreadable."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    url, token = data.get("url"), data.get("token")
    if not isinstance(url, str) or not isinstance(token, str):
        return None
    return StoredLogin(url=url, token=token)


def save_login(path: Path, login: StoredLogin) -> None:
    """Write the file 0600 (its folder 0700) from the start: the token is never world-readable,
    not even for the moment between a write and a chmod."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(orjson.dumps({"url": login.url, "token": login.token}))
        os.chmod(temporary, 0o600)  # an existing file keeps its old mode through O_CREAT
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def forget_login(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
