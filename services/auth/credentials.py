"""Which token the CLI's client commands send (DESIGN section 2).

`INSIGHTA_TOKEN`; else the `token` in `~/.insighta/credentials.json`; else an admin token signed
with the local data dir's key, which a server using the same data dir accepts.
"""

from datetime import timedelta
from pathlib import Path
from typing import Final

import orjson

from services.auth.tokens import Role, issue_token
from services.settings import Settings

CREDENTIALS_FILE: Final = Path("~/.insighta/credentials.json")
LOCAL_TOKEN_TTL: Final = timedelta(hours=1)


def client_token(settings: Settings, *, credentials: Path = CREDENTIALS_FILE) -> str:
    if settings.insighta_token is not None:
        return settings.insighta_token.reveal()
    path = credentials.expanduser()
    if path.is_file():
        stored = orjson.loads(path.read_bytes())
        token = stored.get("token") if isinstance(stored, dict) else None
        if isinstance(token, str) and token:
            return token
    return issue_token(
        settings.resolved_secret_key(), role=Role.ADMIN, subject="cli", ttl=LOCAL_TOKEN_TTL
    )
