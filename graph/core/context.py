"""One request, one context: who is asking, the database pool, the result cache, the settings,
the interview and account services and this request's dataloaders.

The HTTP objects stay in server/: what the schema needs of the transport (is it a websocket,
the client's address, the answer's status and headers, the link to an export) is handed in
as plain values by server/app.py.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from graph.core.request_record import RequestRecord
from graph.interviews.dataloaders import InterviewLoaders
from services.accounts.runtime import AccountServices
from services.auth.tokens import Principal
from services.demographics.lookup import NameLookup
from services.errors import ServiceError
from services.ingestion.pacing import QueryActivity
from services.ingestion.service import Ingestion
from services.interviews.runtime import InterviewServices
from services.platform.cache import ResultCache
from services.platform.data_version import LiveVersion
from services.platform.database import ConnectionPool
from services.platform.notifications import NotificationHub
from services.platform.rate_limit import RateLimiter
from services.platform.read_your_writes import ReadRouting, caller_key
from services.platform.settings import Secret, Settings

if TYPE_CHECKING:
    from graph.extensions.response_cache import ResponseSlot


class _Headers(Protocol):
    def __setitem__(self, key: str, value: str) -> None: ...


class ResponseHead(Protocol):
    """The status and headers of an HTTP answer still being made (a starlette Response)."""

    status_code: int

    @property
    def headers(self) -> _Headers: ...


@dataclass(slots=True)
class Context:
    over_websocket: bool
    # "ip:<address>" of the client, or "ip:unknown".
    client_ip: str
    # None on a websocket: there is no HTTP answer to shape.
    response: ResponseHead | None
    # The access-log line of this request (server/access_log.py), None outside the middleware.
    record: RequestRecord | None
    secret_key: Secret
    # The download URL for an export token (server/exports.py's route).
    export_url: Callable[[str], str]
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
    # The process's one result cache (services/platform/cache.py); None computes every answer.
    cache: ResultCache | None = None
    # The process's request counters (services/platform/rate_limit.py); None: no limits (tests).
    rate_limiter: RateLimiter | None = None
    # Long-lived services of this process (absent when the app runs without its lifespan).
    ingestion: Ingestion | None = None
    notifications: NotificationHub | None = None
    # Reads of the profiles make background ingestion yield (graph/extensions/query_load.py).
    query_load: QueryActivity | None = None
    # Genderize, Agify and Nationalize, or their offline twins (services/demographics/).
    names: NameLookup | None = None
    # A websocket's connection_init payload (graphql-transport-ws), set by Strawberry.
    connection_params: dict[str, object] | None = None
    # A persisted query text sent with its hash, to store once its document validated
    # (graph/extensions/persisted_queries.py); never set on a websocket.
    register_persisted_query: Callable[[], Awaitable[None]] | None = None
    # What this request's execution tells the response cache (graph/extensions/response_cache.py);
    # None when no response cache stands in front (websockets, the cache off).
    response_slot: "ResponseSlot | None" = None
    # The data version as this process knows it; a mutation raises it before answering.
    live_version: LiveVersion | None = None

    @property
    def caller(self) -> str | None:
        """Whose read-your-writes floor this request reads and raises."""
        return caller_key(self.principal.subject) if self.principal else None

    @property
    def rate_limit_caller(self) -> str:
        """Whom this request counts against (graph/extensions/rate_limits.py): the token's
        subject, else the client's IP."""
        if self.principal is not None:
            return f"sub:{self.principal.subject}"
        return self.client_ip
