"""The Starlette application: `/graphql` (POST, GET, GraphiQL, websockets) and `/healthz`."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from graph.core.context import Context
from graph.core.errors import DATABASE_UNAVAILABLE_MESSAGE, INTERNAL_MESSAGE
from graph.extensions.limits import document_too_long
from graph.extensions.persisted_queries import PersistedQueries, build_persisted_queries
from graph.interviews.dataloaders import InterviewLoaders
from graph.schema import schema
from server.access_log import AccessLogMiddleware, request_id_of, request_record
from server.bearer import bearer_token
from server.collector import collect_periodically, tune_for_serving
from server.cors import cors_middleware
from server.errors import error_response, request_errors_status, service_error_response
from server.exports import EXPORT_ROUTE_NAME, export_routes
from server.github_auth import github_routes
from server.graphiql import graphiql_page, graphiql_routes
from server.graphql_over_http import (
    CONTENT_TYPES,
    GRAPHQL_RESPONSE_JSON,
    JSON,
    is_request_error,
    response_media_type,
)
from server.live_transcript import live_transcript_routes
from server.metrics import metrics_endpoint, sample_pool_gauges
from server.response_cache import SLOT_KEY, ResponseCache
from server.uploads import BodyTooLarge, UploadGuard
from server.webhooks import livekit_webhook
from server.websockets import CheckedTransportWSHandler, TextFrameWebSocketAdapter
from services.accounts.authentication import authenticate
from services.accounts.runtime import build_account_services
from services.demographics.runtime import build_name_lookup
from services.errors import ErrorCode, ServiceError
from services.ingestion.pacing import QueryActivity
from services.ingestion.service import open_ingestion
from services.interviews.runtime import build_interview_services
from services.jobs.runtime import BackgroundJobs, build_background_jobs
from services.platform.cache import ResultCache, build_result_cache
from services.platform.data_version import DataVersion, LiveVersion
from services.platform.database import (
    ConnectionPool,
    Database,
    is_database_unavailable,
    is_reachable,
    open_database,
)
from services.platform.notifications import NotificationHub
from services.platform.rate_limit import RateLimited, build_rate_limiter
from services.platform.read_your_writes import ReadRouting, build_read_routing
from services.platform.response_cache import ResponseStore, build_response_store
from services.platform.settings import Secret, Settings
from services.platform.tracing import configure_tracing
from services.profiles.seed import seed_demo_profiles

logger = logging.getLogger(__name__)

OnReady = Callable[[Settings, Secret], Awaitable[None] | None]


class InsightaGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, orjson and the pool from the app state."""

    websocket_adapter_class = TextFrameWebSocketAdapter
    graphql_transport_ws_handler_class = CheckedTransportWSHandler

    def __init__(
        self, settings: Settings, secret_key: Secret, persisted_queries: PersistedQueries
    ) -> None:
        # Multipart uploads bring CSRF risk and have no size limit: UploadGuard sees to both.
        # Websocket handshakes from other origins are refused unless CORS_ORIGINS lists them
        # (server/cors.py).
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.secret_key = secret_key
        self.persisted_queries = persisted_queries

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        pool = request.app.state.pool
        client = request.client
        context = Context(
            over_websocket=isinstance(request, WebSocket),
            client_ip=f"ip:{client.host if client else 'unknown'}",
            response=response if isinstance(response, Response) else None,
            record=request_record(request.scope),
            secret_key=request.app.state.secret_key,
            export_url=lambda token: str(
                request.url_for(EXPORT_ROUTE_NAME).include_query_params(token=token)
            ),
            pool=pool,
            reads=request.app.state.reads,
            settings=self.settings,
            request_id=request_id_of(request.scope),
            interviews=request.app.state.interviews,
            loaders=InterviewLoaders.build(pool),
            cache=request.app.state.cache,
            rate_limiter=request.app.state.rate_limiter,
            accounts=request.app.state.accounts,
            ingestion=getattr(request.app.state, "ingestion", None),
            notifications=getattr(request.app.state, "notifications", None),
            query_load=getattr(request.app.state, "activity", None),
            names=getattr(request.app.state, "names", None),
            response_slot=request.scope.get(SLOT_KEY) if isinstance(request, Request) else None,
            live_version=getattr(request.app.state, "live_version", None),
        )
        await self.identify(context, bearer_token(request.headers.get("authorization")))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the token comes in connection_init's payload, as
        `{"Authorization": "Bearer <token>"}` (browsers cannot set headers on websockets).
        It replaces anything the upgrade request's headers said."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is not None:
            context.principal = context.auth_error = None
            token = bearer_token(header) if isinstance(header, str) else None
            if token is None:
                context.auth_error = ServiceError(
                    ErrorCode.UNAUTHENTICATED, "send the token as `Bearer <token>`"
                )
            else:
                await self.identify(context, token)
        return UnsetType()  # plain connection_ack

    async def identify(self, context: Context, token: str | None) -> None:
        """Sets the context's principal, or the reason there is none (raised only by fields
        that need one, so signing in works with a stale header). The one way a token becomes
        a principal: use it for a token sent any other way (a WebSocket's connection_init).
        Never raises: a failure here would escape the error masking as a bare 500."""
        if token is None:
            return
        try:
            context.principal = await authenticate(
                self.secret_key, context.accounts.statuses, token
            )
        except ServiceError as error:
            context.auth_error = error
        except Exception as error:
            if is_database_unavailable(error):
                logger.warning(
                    "could not check the token's account: database unavailable",
                    extra={"request_id": context.request_id, "error": repr(error)},
                )
                context.auth_error = ServiceError(
                    ErrorCode.UPSTREAM_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE
                )
                return
            logger.exception(
                "could not check the token's account", extra={"request_id": context.request_id}
            )
            context.auth_error = ServiceError(ErrorCode.INTERNAL, INTERNAL_MESSAGE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers a malformed HTTP request with plain text; ours answers GraphQL-shaped
        JSON with a code, so every client can handle every error the same way."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        # Refusals answer in the negotiated type too (application/json when none fits).
        media_type = response_media_type(request.headers.get("accept")) or JSON
        try:
            response = await self.run(request)
        except HTTPException as error:
            response = _transport_refusal(error.status_code, error.reason, media_type)
        except StarletteHTTPException as error:  # a malformed multipart body
            response = _transport_refusal(error.status_code, error.detail, media_type)
        except BodyTooLarge:
            raise  # UploadGuard, around this view, answers it
        except RateLimited as error:  # a persisted query registration over the limit
            response = service_error_response(
                error,
                headers={"Retry-After": str(error.retry_after_seconds)},
                media_type=media_type,
            )
        except ServiceError as error:  # a persisted query unknown or not matching its hash
            response = service_error_response(error, media_type=media_type)
        except Exception:
            # A bug outside the execution (where masking cannot reach): the client still gets
            # our shape and a request id, the trace goes to the log only.
            request_id = request_id_of(scope)
            logger.exception("unexpected error serving a request", extra={"request_id": request_id})
            response = error_response(
                ErrorCode.INTERNAL,
                INTERNAL_MESSAGE,
                extensions={"requestId": request_id},
                media_type=media_type,
            )
        finally:
            await request.close()  # Strawberry leaves uploaded files open
        await response(scope, receive, send)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        try:
            data = await super().parse_http_body(request)
        except (AttributeError, TypeError):
            # A JSON body that is not an object ("str", 5): strawberry assumes a dict.
            raise HTTPException(400, "the request body must be a JSON object") from None
        for request_data in data if isinstance(data, list) else [data]:
            if (too_long := document_too_long(request_data.query)) is not None:
                raise too_long
        return data

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # create_response sees only this object: it carries the type negotiated from `Accept`
        # (None when the client accepts neither of ours; execute_operation answers 406).
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        return sub_response

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        if sub_response.media_type is None:
            raise HTTPException(406, f"send `Accept: {GRAPHQL_RESPONSE_JSON}` or `Accept: {JSON}`")
        # Here rather than in parse_http_body: a registration counts against the caller, whom
        # only the context knows.
        if isinstance(request_data, GraphQLRequestData):
            request_data = await self.persisted_queries.resolve(request_data, context)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as error:
            refused = error.__cause__
            if (
                isinstance(refused, InvalidOperationTypeError)
                and refused.operation_type is OperationType.MUTATION
            ):
                # GraphQL over HTTP: a mutation over GET MUST be refused with 405 (strawberry
                # says 400).
                raise HTTPException(405, error.reason) from refused
            raise

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = sub_response.media_type or JSON
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and is_request_error(response_data)
        ):
            # Nothing was executed: no `data`, and a 4xx (a status already set, such as the
            # rate limit's 429, stands). server/graphql_over_http.py has the rules.
            errors = response_data.get("errors") or []
            extensions = response_data.get("extensions")
            response_data = {"errors": errors, **({"extensions": extensions} if extensions else {})}
            if sub_response.status_code is None:
                sub_response.status_code = request_errors_status(errors)
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = CONTENT_TYPES[media_type]
        return response

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        try:
            return await super().parse_multipart(request)
        except (AttributeError, TypeError, ValueError, IndexError):
            # Strawberry follows each `map` path into `operations` unchecked: a path through a
            # null, a list index that is not a number or out of range raised a bare error.
            raise HTTPException(
                400,
                "the multipart `map` must list, for each file, paths to variables in the "
                "`operations` object (GraphQL multipart request spec)",
            ) from None

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET that carries a persisted query's hash (and no text) is an operation, not a visit.
        return super().should_render_graphql_ide(request) and not request.query_params.get(
            "extensions"
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our page with the assets served by this app; strawberry's loads from a CDN.
        return graphiql_page(request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)


def _transport_refusal(status_code: int, message: str, media_type: str) -> Response:
    """A request strawberry refused before any GraphQL ran (a bad body, a wrong method or
    content type): its status, our body."""
    code = ErrorCode.BAD_USER_INPUT if status_code < 500 else ErrorCode.INTERNAL
    # RFC 9110 (15.5.6): a 405 names the methods the resource does allow.
    headers = {"Allow": "GET, POST"} if status_code == 405 else None
    return error_response(
        code, message, status_code=status_code, headers=headers, media_type=media_type
    )


async def healthz(request: Request) -> Response:
    if await is_reachable(request.app.state.pool):
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


def create_app(
    settings: Settings,
    *,
    pool: ConnectionPool | None = None,
    read_pool: ConnectionPool | None = None,
    dsn: str | None = None,
    on_ready: OnReady | None = None,
) -> Starlette:
    """The app. With `pool` given (tests) it uses that, and the job worker does not run (tests
    drive it); `dsn` (the same database) then starts the LISTEN connection and the ingestion
    runner in the lifespan, and `read_pool` (a replica) takes the profile reads. Else the
    lifespan opens the database(s) and starts everything."""
    secret_key = settings.resolved_secret_key()
    persisted_queries = build_persisted_queries(settings)
    graphql = InsightaGraphQL(settings, secret_key, persisted_queries)
    responses = build_response_store(settings)
    response_cache = ResponseCache(graphql, responses, graphql.get_context)

    async def close_shared_clients() -> None:
        """The caches, counters and stores (Redis clients with REDIS_URL)."""
        await app.state.cache.close()
        await app.state.reads.close()
        await app.state.rate_limiter.close()
        await persisted_queries.close()
        if responses is not None:
            await responses.close()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        configure_tracing(settings.otel_endpoint, settings.otel_service_name)
        if pool is not None:
            try:
                if dsn is None:
                    yield
                else:
                    async with _process_services(app, settings, pool, dsn):
                        yield
            finally:
                # Built by create_app for the given pool: closed with the app (Redis clients).
                await close_shared_clients()
            return
        database = await open_database(settings)
        app.state.cache, app.state.reads = _result_cache_and_routing(
            settings, database.pool, database.read_pool
        )
        app.state.rate_limiter = build_rate_limiter(settings)
        app.state.live_version = _live_version(responses, database.pool)
        try:
            if database.created_now and database.embedded is not None:
                result = await seed_demo_profiles(database.pool)
                logger.info("loaded the demo profiles", extra={"inserted": result.inserted})
            if on_ready is not None:
                outcome = on_ready(settings, secret_key)
                if outcome is not None:
                    await outcome
            app.state.pool = database.pool
            app.state.accounts = build_account_services(settings, database.pool, secret_key)
            interviews = build_interview_services(settings, database.pool, secret_key)
            app.state.interviews = interviews
            app.state.names = build_name_lookup(settings, interviews.policies)
            app.state.jobs = build_background_jobs(
                settings, database.pool, ai=interviews.ai, mailer=interviews.mailer
            )
            try:
                await interviews.start()
                sampler = asyncio.create_task(sample_pool_gauges(database.pool), name="pool-gauges")
                try:
                    async with _process_services(
                        app, settings, database.pool, database.dsn.reveal()
                    ):
                        tune_for_serving()  # started: what exists now lives as long
                        collector = asyncio.create_task(
                            collect_periodically(), name="garbage-collection"
                        )
                        try:
                            yield
                        finally:
                            collector.cancel()
                finally:
                    sampler.cancel()
                    await interviews.aclose()
            finally:
                # Its own finally: a failure starting or stopping the interview services must
                # not leave the name services' HTTP session open.
                await app.state.names.aclose()
        finally:
            await close_shared_clients()
            await _close(database)

    app = Starlette(
        routes=[
            # Every method reaches the view, so PUT or DELETE get a coded JSON 405 too.
            Route(
                "/graphql",
                UploadGuard(
                    response_cache,
                    max_upload_bytes=settings.max_upload_bytes,
                    max_request_bytes=settings.max_request_bytes,
                ),
            ),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/livekit/webhook", livekit_webhook, methods=["POST"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *graphiql_routes(),
            *live_transcript_routes(),
            *export_routes(secret_key),
            *github_routes(),
        ],
        lifespan=lifespan,
        # The access log outermost, so refused preflights and websockets are logged too.
        middleware=[
            Middleware(AccessLogMiddleware),
            *cors_middleware(settings.cors_origins),
        ],
    )
    app.state.secret_key = secret_key
    app.state.settings = settings
    app.state.response_cache = response_cache
    app.state.persisted_queries = persisted_queries
    app.state.metrics_multiprocess_dir = settings.metrics_multiprocess_dir
    app.state.metrics_token = settings.metrics_token
    if pool is not None:
        app.state.pool = pool
        app.state.accounts = build_account_services(settings, pool, secret_key)
        app.state.interviews = build_interview_services(settings, pool, secret_key)
        app.state.names = build_name_lookup(settings, app.state.interviews.policies)
        app.state.jobs = build_background_jobs(
            settings,
            pool,
            ai=app.state.interviews.ai,
            mailer=app.state.interviews.mailer,
        )
        app.state.cache, app.state.reads = _result_cache_and_routing(
            settings, pool, read_pool or pool
        )
        app.state.rate_limiter = build_rate_limiter(settings)
        app.state.live_version = _live_version(responses, pool)
    return app


def _live_version(responses: ResponseStore | None, pool: ConnectionPool) -> LiveVersion | None:
    """The data version kept in memory for the response cache; none without it (nothing else
    needs it, and it reads the version once a second)."""
    return LiveVersion(DataVersion(pool)) if responses is not None else None


def _result_cache_and_routing(
    settings: Settings, pool: ConnectionPool, read_pool: ConnectionPool
) -> tuple[ResultCache, ReadRouting]:
    """The result cache and the read routing. The cache reads the data version where the
    profiles are read, so a lagging replica's answers are cached under its own (older)
    version, never under the primary's newer one."""
    replica_versions = DataVersion(read_pool)
    primary_versions = replica_versions if read_pool is pool else DataVersion(pool)
    reads = build_read_routing(
        settings,
        pool,
        read_pool,
        primary_versions=primary_versions,
        replica_versions=replica_versions,
    )
    return build_result_cache(settings, replica_versions), reads


@contextlib.asynccontextmanager
async def _process_services(
    app: Starlette, settings: Settings, pool: ConnectionPool, dsn: str
) -> AsyncIterator[None]:
    """The process's long-lived services: one LISTEN connection, the background jobs woken
    through it, the ingestion runner."""
    hub = NotificationHub(dsn)
    hub.start()
    activity = QueryActivity()
    jobs: BackgroundJobs = app.state.jobs
    try:
        if app.state.live_version is not None:
            await hub.follow("data_version", app.state.live_version)
        await jobs.start(hub)
        async with open_ingestion(
            settings, pool=pool, dsn=dsn, hub=hub, activity=activity
        ) as ingestion:
            app.state.notifications, app.state.ingestion = hub, ingestion
            app.state.activity = activity
            yield
    finally:
        await jobs.aclose()
        await hub.close()
        if app.state.live_version is not None:
            await app.state.live_version.close()


async def _close(database: Database) -> None:
    await database.close()
    logger.info("database closed")
