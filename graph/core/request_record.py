"""What the access log says of a GraphQL request that only the GraphQL layer knows.

server/access_log.py makes one per request and logs it when the response ends;
graph/extensions/metrics.py fills in the operation, its caller and its error codes.
"""

from dataclasses import dataclass, field

from services.platform.rate_limit import RateLimited


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    operation: str | None = None
    operation_type: str | None = None
    user: str | None = None
    role: str | None = None
    error_codes: list[str] = field(default_factory=list)
    # Whether the request was counted against its caller's rate limit yet: None not yet, True
    # admitted, or the refusal. Several paths may look at one request (the response cache,
    # a prepared operation, the view): it is counted once (graph/extensions/rate_limits.py).
    admission: "bool | RateLimited | None" = None
