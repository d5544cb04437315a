"""One request, one context: who is asking, the database pool and the settings."""

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from services.auth.tokens import Principal
from services.database import ConnectionPool
from services.errors import ServiceError
from services.ingestion.service import Ingestion
from services.notifications import NotificationHub
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
    # Long-lived services of this process (absent when the app runs without its lifespan).
    ingestion: Ingestion | None = None
    notifications: NotificationHub | None = None
    # A websocket's connection_init payload (graphql-transport-ws), set by Strawberry.
    connection_params: dict[str, object] | None = None
