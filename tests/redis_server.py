"""Whether the test Redis answers: tests add a Redis variant only when it does.

The suite must pass on machines without Redis, and must not skip tests there; so Redis is an
extra parameter when reachable, never a skip when not. The header and the summary of every
run say which it was (tests/conftest.py). `INSIGHTA_TEST_REDIS_URL` names another Redis.
"""

import os
import socket
from functools import cache
from typing import Final
from urllib.parse import urlsplit

# Database 15: kept apart from anything else using this Redis; keys also carry a test namespace.
REDIS_URL: Final = os.environ.get("INSIGHTA_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
REDIS_HOST: Final = urlsplit(REDIS_URL).hostname or "127.0.0.1"
REDIS_PORT: Final = urlsplit(REDIS_URL).port or 6379


@cache
def redis_is_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False
