"""The response cache: repeated cacheable queries answered from stored bytes, before Strawberry.

A request is looked up by a key of everything its answer depends on: the document (the SHA-256
of its text, which is also its persisted-query hash) and operation name, the variables in
canonical form, the audience ("public", or the caller's role for the shared profile fields)
and the data version this process knows (services/platform/data_version.py, `LiveVersion`).
A hit is parsed, validated, executed and encoded by nobody, and reads nothing from the
database: the token is checked (its signature remembered until it expires, the account's
status from its short cache) and counted against the caller's rate limit, then the stored bytes
go out. Which operations qualify is learned from their first execution
(graph/extensions/response_cache.py); an answer is stored only when it carries no error and was
read at least at the version of its key.

Every cacheable answer carries an ETag (a digest of the body) and `Cache-Control: private,
no-cache`: browsers and other private caches revalidate, and a matching `If-None-Match` gets
`304 Not Modified` without the body. docs/performance.md has the design and the figures.
"""

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.core.authorization import PERMISSIONS
from graph.core.context import Context
from graph.extensions.metrics import describe_operation, finish_operation
from graph.extensions.prepared import PreparedOperation, Unprepared
from graph.extensions.query_load import answered_profile_read, profile_reads
from graph.extensions.rate_limits import admit
from graph.extensions.response_cache import Reach, ResponseSlot
from graph.schema import schema
from server.access_log import request_record
from server.bearer import bearer_token
from server.graphql_over_http import CONTENT_TYPES, response_media_type
from services.accounts.authentication import authenticate
from services.auth.tokens import Principal
from services.platform import tracing
from services.platform.data_version import LiveVersion, is_older
from services.platform.rate_limit import RateLimit, RateLimited
from services.platform.response_cache import ResponseStore, StoredResponse, etag_of

SLOT_KEY: Final = "insighta.response"
CACHE_CONTROL: Final = b"private, no-cache"
VARY: Final = b"Accept, Authorization"
# Operations whose cacheability is known; beyond this the least recently used is learned again.
MAX_KNOWN_OPERATIONS: Final = 10_000
# What the known operations' plans may hold together (their estimated cost, graph/extensions/
# prepared.py); beyond it the least recently used are forgotten, learned again when they come.
MAX_PREPARED_BYTES: Final = 16 << 20
# Longer operation names are executed every time: remembered names must stay small.
MAX_OPERATION_NAME: Final = 256
_HEX: Final = frozenset("0123456789abcdef")

# The view's own context for a request (server/app.py, InsightaGraphQL.get_context).
ContextFactory = Callable[[Request, Response], Awaitable[Context]]


@dataclass(frozen=True, slots=True)
class _Known:
    """What the first execution of an operation taught: who may share its answer, its name,
    and its plan when it has one (graph/extensions/prepared.py)."""

    reach: Reach
    name: str | None
    prepared: PreparedOperation | None = None
    # Its execution read the profiles: answers from the cache count as profile reads too.
    reads_profiles: bool = False


@dataclass(frozen=True, slots=True)
class _Request:
    """The parts of a GraphQL request over HTTP that its answer depends on."""

    document: str  # SHA-256 hex of the text, or the persisted query hash sent alone
    operation_name: str | None
    variables: bytes  # canonical JSON
    hash_only: bool = False  # no text: answered only while the hash is registered
    # The variables as sent; a text sent with its hash goes to the view, which registers it.
    values: dict[str, Any] | None = field(default=None, compare=False)
    registers: bool = field(default=False, compare=False)

    @property
    def operation(self) -> tuple[str, str | None]:
        return self.document, self.operation_name


def _parse(params: Any) -> _Request | None:
    """The request's identity, or None for anything this layer leaves to the view (batches,
    malformed bodies: the view answers those with its own errors)."""
    if not isinstance(params, dict):
        return None
    query, name, variables = (
        params.get("query"),
        params.get("operationName"),
        params.get("variables"),
    )
    if not (name is None or (isinstance(name, str) and len(name) <= MAX_OPERATION_NAME)) or not (
        variables is None or isinstance(variables, dict)
    ):
        return None
    extensions = params.get("extensions")
    if not (extensions is None or isinstance(extensions, dict)):
        return None
    persisted = (extensions or {}).get("persistedQuery")
    digest = None
    if persisted is not None:
        # Only what graph/extensions/persisted_queries.py accepts; the rest it refuses.
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(digest, str)
            or len(digest) != 64
            or not _HEX.issuperset(digest)
        ):
            return None
    if isinstance(query, str):
        document = hashlib.sha256(query.encode()).hexdigest()
        if digest is not None and digest != document:
            return None  # a hash not the text's own: refused by the view
    elif query is None and digest is not None:
        document = digest
    else:
        return None
    try:
        canonical = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    # "" is no operation's name (execution refuses it), not the absent one: kept apart.
    return _Request(
        document,
        name,
        canonical,
        hash_only=query is None,
        values=variables,
        registers=digest is not None and query is not None,
    )


def _parse_query_string(raw: bytes) -> _Request | None:
    params: dict[str, Any] = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
    try:
        for name in ("variables", "extensions"):
            # As strawberry reads them: an empty value stays "" (no object: the view refuses it).
            if params.get(name):
                params[name] = orjson.loads(params[name])
    except orjson.JSONDecodeError:
        return None
    return _parse(params)


class ResponseCache:
    """ASGI: in front of the GraphQL view (server/app.py). With `store` None nothing is stored,
    but prepared operations are still answered here."""

    def __init__(
        self,
        app: ASGIApp,
        store: ResponseStore | None,
        context_for: ContextFactory,
        *,
        max_known_operations: int = MAX_KNOWN_OPERATIONS,
        max_prepared_bytes: int = MAX_PREPARED_BYTES,
    ) -> None:
        self.app = app
        self.store = store
        self.context_for = context_for
        # Answers made from a prepared operation's plan, for tests and the curious.
        self.prepared_answers = 0
        self.max_known_operations = max_known_operations
        self.max_prepared_bytes = max_prepared_bytes
        self._prepared_bytes = 0
        self._known: OrderedDict[tuple[str, str | None], _Known] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = response_media_type(headers.get("accept"))
        if media_type is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET":
            request = _parse_query_string(scope.get("query_string", b""))
        elif headers.get("content-type", "").split(";")[0].strip().lower() == "application/json":
            body, receive = await _read_body(receive)
            try:
                request = _parse(orjson.loads(body))
            except orjson.JSONDecodeError:
                request = None
        else:
            request = None
        if request is None:
            await self.app(scope, receive, send)
            return
        # Profile reads are timed from here (services/ingestion/pacing.py): a body sent slowly
        # is the sender's own time.
        arrived = time.monotonic()
        live: LiveVersion | None = getattr(scope["app"].state, "live_version", None)
        if live is not None:
            await _deliver_pending_notifications()
        version = live.known() if live is not None else None
        known = self._known.get(request.operation)
        if known is not None and await _registered(scope, request):
            if self.store is not None and version is not None:
                started = time.perf_counter()
                caller = await _caller(scope, headers, known.reach)
                if caller is not None:
                    stored = await self.store.get(_key(request, caller.audience, version))
                    # Counted only when answered here: a miss is counted by the view it goes to.
                    if stored is not None and await _admitted(scope, caller.principal):
                        self._touch(request.operation)
                        # A cached answer is a profile read too: the reads whose answers a
                        # batch's commit takes out of the cache are what ingestion weighs.
                        if known.reads_profiles:
                            activity = getattr(scope["app"].state, "activity", None)
                            answered_profile_read(activity, arrived=arrived)
                        await _send(send, stored, media_type, headers, scope["method"])
                        seconds = time.perf_counter() - started
                        finish_operation(
                            request_record(scope),
                            caller.principal,
                            known.name,
                            "query",
                            [],
                            seconds,
                        )
                        return
            if known.prepared is not None and not request.registers:
                answered = await self._answer_prepared(
                    scope, receive, send, request, known, version, headers, media_type, arrived
                )
                if answered:
                    return
        await self._execute(
            scope, receive, send, request, version, headers, learning=known is None, arrived=arrived
        )

    async def _answer_prepared(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: _Request,
        known: _Known,
        version: str | None,
        headers: Headers,
        media_type: str,
        arrived: float,
    ) -> bool:
        """Answer with the operation's plan, without Strawberry's view or graphql-core's
        executor; False (nothing sent) sends the request down the ordinary path, which answers
        whatever departs from the plain case (graph/extensions/prepared.py)."""
        assert known.prepared is not None
        started = time.perf_counter()
        slot = ResponseSlot(arrived=arrived)
        scope[SLOT_KEY] = slot
        context = await self.context_for(Request(scope, receive), Response())
        try:
            await admit(context, 0)
        except RateLimited:
            return False  # the view answers the 429 with the verdict kept on the record
        with tracing.span("graphql.operation") as span:
            reads = known.prepared.reads_profiles
            with profile_reads(context.query_load if reads else None, arrived=arrived):
                try:
                    data = await known.prepared.execute(context, request.values)
                except Unprepared:
                    # The view answers, in a span of its own.
                    span.set_attributes({"insighta.stepped_aside": True})
                    return False
            describe_operation(span, known.name, "query", [])
        self.prepared_answers += 1
        body = orjson.dumps({"data": data})
        content_type = CONTENT_TYPES[media_type].encode()
        self._touch(request.operation)
        audience = _audience(known.reach, context.principal)
        if self.store is None:
            await _send_plain(send, body, content_type)
        else:
            stored = StoredResponse(body=body, etag=etag_of(body))
            if audience is not None and _fresh(version, slot):
                assert version is not None
                await self.store.put(_key(request, audience, version), stored)
            await _send_raw(send, stored, content_type, headers, scope["method"])
        finish_operation(
            request_record(scope),
            context.principal,
            known.name,
            "query",
            [],
            time.perf_counter() - started,
        )
        return True

    async def _execute(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: _Request,
        version: str | None,
        headers: Headers,
        *,
        learning: bool,
        arrived: float,
    ) -> None:
        """Run the view; learn the operation, keep its answer when it may be stored, and tag it
        for revalidation."""
        slot = ResponseSlot(learning=learning, arrived=arrived)
        scope[SLOT_KEY] = slot
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 200 and slot.reach is not None:
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    await self._finish(
                        send, start, body, request, version, slot, headers, scope["method"]
                    )
                return
            await send(message)

        await self.app(scope, receive, capture)

    async def _finish(
        self,
        send: Send,
        start: Message,
        body: bytes,
        request: _Request,
        version: str | None,
        slot: ResponseSlot,
        headers: Headers,
        method: str,
    ) -> None:
        reach, audience = slot.reach, slot.audience
        assert reach is not None
        name = slot.operation_name
        remembered = name is None or len(name) <= MAX_OPERATION_NAME
        if remembered and (slot.learning or request.operation not in self._known):
            known = _Known(reach, name, slot.prepared, slot.reads_profiles)
            self._remember(request.operation, known)
        if self.store is None:
            # Nothing is stored and no answer is tagged: the view's answer as it was.
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        stored = StoredResponse(body=body, etag=etag_of(body))
        if audience is not None and _fresh(version, slot) and remembered:
            assert version is not None
            await self.store.put(_key(request, audience, version), stored)
        content_type = dict(start.get("headers", [])).get(b"content-type", b"application/json")
        await _send_raw(send, stored, content_type, headers, method)

    @property
    def known_operations(self) -> int:
        return len(self._known)

    def _remember(self, operation: tuple[str, str | None], known: _Known) -> None:
        self._forget(self._known.get(operation))
        self._known[operation] = known
        self._known.move_to_end(operation)
        self._prepared_bytes += _plan_cost(known)
        while self._known and (
            len(self._known) > self.max_known_operations
            or self._prepared_bytes > self.max_prepared_bytes
        ):
            self._forget(self._known.popitem(last=False)[1])

    def _forget(self, known: "_Known | None") -> None:
        if known is not None:
            self._prepared_bytes -= _plan_cost(known)

    def _touch(self, operation: tuple[str, str | None]) -> None:
        """Marks it recently used, unless it was forgotten meanwhile (other requests learned
        enough operations while this one was answered)."""
        if operation in self._known:
            self._known.move_to_end(operation)

    @property
    def prepared_bytes(self) -> int:
        return self._prepared_bytes


def _fingerprint() -> str:
    """The schema and the permission table, digested: answers stored by a process running
    other code (a rolling deploy sharing one Redis) are never read by this one."""
    rules = sorted(
        f"{name}:{sorted(role.value for role in rule.roles)}:{rule.scope.value}:{rule.resource}"
        for name, rule in PERMISSIONS.items()
    )
    text = schema.as_str() + "\n".join(rules)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_DEPLOYMENT: Final = _fingerprint()


def _key(request: _Request, audience: str, version: str) -> str:
    digest = hashlib.sha256(request.variables)
    name = request.operation_name
    digest.update(b"\0" + (b"-" if name is None else b"=" + name.encode()))
    digest.update(b"\0" + audience.encode())
    return f"{_DEPLOYMENT}:v{version}:{request.document}:{digest.hexdigest()}"


async def _registered(scope: Scope, request: _Request) -> bool:
    """A hash sent alone is answered as execution would: only while its text is registered
    (the view says PERSISTED_QUERY_NOT_FOUND otherwise), however the answer was first made."""
    if not request.hash_only:
        return True
    return await scope["app"].state.persisted_queries.store.get(request.document) is not None


@dataclass(frozen=True, slots=True)
class _Caller:
    audience: str
    principal: Principal | None


async def _deliver_pending_notifications() -> None:
    """Let the event loop hand over what the database has already sent this process before
    the version is read: a notification in the socket takes a loop turn to be read and one
    more for its callback to run (asyncpg schedules it). Without this a request that came in
    beside it could be answered from the version before a write another process has already
    answered for (seen under load). ~10 us; a notification not sent yet is still missed
    (docs/performance.md, "The response cache")."""
    for _ in range(3):
        await asyncio.sleep(0)


async def _caller(scope: Scope, headers: Headers, reach: Reach) -> _Caller | None:
    """Who asks and whom the answer is for, once the token is checked as the view would; None
    sends the request to the view (no or bad token, the account lookup failing), which answers
    it properly."""
    state = scope["app"].state
    principal = None
    token = bearer_token(headers.get("authorization"))
    if token is not None:
        try:
            principal = await authenticate(state.secret_key, state.accounts.statuses, token)
        except Exception:
            return None
    elif reach is Reach.SHARED:
        return None
    if reach is Reach.PUBLIC:
        return _Caller("public", principal)
    assert principal is not None
    return _Caller(f"role:{principal.role.value}", principal)


def _plan_cost(known: _Known) -> int:
    return known.prepared.cost if known.prepared is not None else 0


def _audience(reach: Reach, principal: Principal | None) -> str | None:
    """For whom an answer is stored: as graph/extensions/response_cache.py decides it."""
    if reach is Reach.PUBLIC:
        return "public"
    return f"role:{principal.role.value}" if principal is not None else None


def _fresh(version: str | None, slot: ResponseSlot) -> bool:
    """Whether every read of the answer was at least at the version of its key."""
    return version is not None and not any(is_older(read, version) for read in slot.read_versions)


async def _admitted(scope: Scope, principal: Principal | None) -> bool:
    """Counts the request against its caller as the view would (graph/extensions/
    rate_limits.py); False over the limit: the view then answers the 429."""
    state = scope["app"].state
    limiter = getattr(state, "rate_limiter", None)
    if limiter is None:
        return True
    client = scope.get("client")
    caller = f"sub:{principal.subject}" if principal else f"ip:{client[0] if client else 'unknown'}"
    record = request_record(scope)
    try:
        await limiter.check("api", caller, RateLimit(state.settings.rate_limit_per_minute))
    except RateLimited as refusal:
        if record is not None:
            record.admission = refusal  # the view answers the 429 without counting again
        return False
    return True


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (UploadGuard, outside, bounds it), and a receive that replays it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


async def _send(
    send: Send, stored: StoredResponse, media_type: str, headers: Headers, method: str
) -> None:
    await _send_raw(send, stored, CONTENT_TYPES[media_type].encode(), headers, method)


async def _send_plain(send: Send, body: bytes, content_type: bytes) -> None:
    """An answer as the view sends it with the response cache off: no ETag."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", content_type),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_raw(
    send: Send, stored: StoredResponse, content_type: bytes, headers: Headers, method: str
) -> None:
    etag = stored.etag.encode()
    common = [(b"etag", etag), (b"cache-control", CACHE_CONTROL), (b"vary", VARY)]
    # Revalidation is for GET: RFC 9110 would answer a POST's match with an empty 412, which
    # carries no error code; a POST gets its answer.
    if method == "GET" and _matches(headers.get("if-none-match"), stored.etag):
        await send({"type": "http.response.start", "status": 304, "headers": common})
        await send({"type": "http.response.body", "body": b""})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(stored.body)).encode()),
                *common,
            ],
        }
    )
    await send({"type": "http.response.body", "body": stored.body})


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: `*`, or any listed tag equal by the weak comparison."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))
