"""One request, one context: who is asking, the database pool, the result cache, the settings,
the interview and account services and this request's dataloaders."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from graph.interviews.dataloaders import InterviewLoaders
from services.accounts.runtime import AccountServices
from services.auth.tokens import Principal
from services.cache import ResultCache
from services.database import ConnectionPool
from services.errors import ServiceError
from services.ingestion.service import Ingestion
from services.interviews.runtime import InterviewServices
from services.notifications import NotificationHub
from services.rate_limit import RateLimiter
from services.read_your_writes import ReadRouting, caller_key
from services.settings import Settings


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    pool: ConnectionPool
    # Where profile reads go: the replica when DATABASE_READ_URL is set (unless this caller
    # just wrote and the replica is behind), else `pool`.
    reads: ReadRouting
    settings: Settings
    request_id: str
    interviews: InterviewServices
    loaders: InterviewLoaders
    accounts: AccountServices
    principal: Principal | None = None
    # Why there is no principal (expired, forged or disabled); raised by permissions.
    auth_error: ServiceError | None = None
    # The process's one result cache (services/cache.py); None computes every answer.
    cache: ResultCache | None = None
    # The process's request counters (services/rate_limit.py); None: no limits (tests).
    rate_limiter: RateLimiter | None = None
    # Long-lived services of this process (absent when the app runs without its lifespan).
    ingestion: Ingestion | None = None
    notifications: NotificationHub | None = None
    # A websocket's connection_init payload (graphql-transport-ws), set by Strawberry.
    connection_params: dict[str, object] | None = None
    # A persisted query text sent with its hash, to store once its document validated
    # (graph/persisted_queries.py); never set on a websocket.
    register_persisted_query: Callable[[], Awaitable[None]] | None = None

    @property
    def caller(self) -> str | None:
        """Whose read-your-writes floor this request reads and raises."""
        return caller_key(self.principal.subject) if self.principal else None

    @property
    def rate_limit_caller(self) -> str:
        """Whom this request counts against (graph/rate_limits.py): the token's subject, else
        the client's IP."""
        if self.principal is not None:
            return f"sub:{self.principal.subject}"
        return self.client_ip

    @property
    def client_ip(self) -> str:
        client = self.request.client
        return f"ip:{client.host if client else 'unknown'}"
