"""Whether the Redis on 127.0.0.1:6379 answers: tests add a Redis variant only when it does.

The suite must pass on machines without Redis, and must not skip tests there; so Redis is an
extra parameter when reachable, never a skip when not.
"""

import socket
from functools import cache
from typing import Final

REDIS_HOST: Final = "127.0.0.1"
REDIS_PORT: Final = 6379
# Database 15: kept apart from anything else using this Redis; keys also carry a test namespace.
REDIS_URL: Final = f"redis://{REDIS_HOST}:{REDIS_PORT}/15"


@cache
def redis_is_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False
