"""One request, one context: who is asking, the database pool, the result cache, the settings."""

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from services.auth.tokens import Principal
from services.cache import ResultCache
from services.database import ConnectionPool
from services.errors import ServiceError
from services.settings import Settings


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    pool: ConnectionPool
    settings: Settings
    request_id: str
    principal: Principal | None = None
    # Why there is no principal (missing, expired or forged token); raised by permissions.
    auth_error: ServiceError | None = None
    # The process's one result cache (services/cache.py); None computes every answer.
    cache: ResultCache | None = None
