"""The Starlette application: `/graphql` (POST, GET, GraphiQL, websockets) and `/healthz`."""

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types.unset import UnsetType

from graph.context import Context
from graph.errors import error_response
from graph.schema import schema
from graph.uploads import UploadGuard
from services.auth.tokens import verify_token
from services.database import ConnectionPool, Database, is_reachable, open_database
from services.errors import ErrorCode, ServiceError
from services.ingestion.pacing import QueryActivity
from services.ingestion.service import open_ingestion
from services.notifications import NotificationHub
from services.profiles.seed import seed_demo_profiles
from services.settings import Secret, Settings

logger = logging.getLogger(__name__)

OnReady = Callable[[Settings, Secret], Awaitable[None] | None]


class InsightaGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, orjson and the pool from the app state."""

    def __init__(self, settings: Settings, secret_key: Secret) -> None:
        # Multipart uploads bring CSRF risk and have no size limit: UploadGuard sees to both.
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.secret_key = secret_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        # Background ingestion yields while queries are served (uploads are not queries).
        activity: QueryActivity | None = getattr(request.app.state, "activity", None)
        if request.headers.get("content-type", "").startswith("multipart/"):
            activity = None
        if activity is not None:
            activity.started()
        try:
            response = await self.run(request)
        except (HTTPException, StarletteHTTPException) as error:
            # Strawberry answers a bad body (JSON, multipart) in plain text; ours is GraphQL-shaped.
            reason = error.reason if isinstance(error, HTTPException) else error.detail
            response = error_response(error.status_code, ErrorCode.BAD_USER_INPUT, reason)
        finally:
            await request.close()  # Strawberry leaves uploaded files open
            if activity is not None:
                activity.finished()
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        context = Context(
            request=request,
            response=response,
            pool=state.pool,
            settings=self.settings,
            request_id=request.headers.get("x-request-id") or uuid.uuid4().hex,
            ingestion=getattr(state, "ingestion", None),
            notifications=getattr(state, "notifications", None),
        )
        self._authenticate(context, request.headers.get("authorization"))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: the token comes in connection_init's payload, as
        `{"Authorization": "Bearer <token>"}` (browsers cannot set headers on websockets).
        It replaces anything the upgrade request's headers said."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is not None:
            context.principal = context.auth_error = None
            self._authenticate(context, header if isinstance(header, str) else "")
        return UnsetType()  # plain connection_ack

    def _authenticate(self, context: Context, authorization: str | None) -> None:
        token = _bearer_token(authorization)
        if token is not None:
            try:
                context.principal = verify_token(self.secret_key, token)
            except ServiceError as error:
                context.auth_error = error
        elif authorization is not None:
            context.auth_error = ServiceError(
                ErrorCode.UNAUTHENTICATED, "send the token as `Bearer <token>`"
            )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)


def _bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def healthz(request: Request) -> Response:
    if await is_reachable(request.app.state.pool):
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)


def create_app(
    settings: Settings,
    *,
    pool: ConnectionPool | None = None,
    dsn: str | None = None,
    on_ready: OnReady | None = None,
) -> Starlette:
    """The app. With `pool` given (tests) it uses that, and `dsn` (the same database) for the
    background services' own connections (without `dsn` they do not run); else its lifespan
    opens the database."""
    secret_key = settings.resolved_secret_key()
    graphql = InsightaGraphQL(settings, secret_key)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if pool is not None:
            if dsn is None:  # no dedicated connections: no ingestion, no subscriptions
                yield
                return
            async with _services(app, settings, pool, dsn):
                yield
            return
        database = await open_database(settings)
        try:
            if database.created_now and database.embedded is not None:
                result = await seed_demo_profiles(database.pool)
                logger.info("loaded the demo profiles", extra={"inserted": result.inserted})
            app.state.pool = database.pool
            async with _services(app, settings, database.pool, database.dsn.reveal()):
                if on_ready is not None:
                    outcome = on_ready(settings, secret_key)
                    if outcome is not None:
                        await outcome
                yield
        finally:
            await _close(database)

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                UploadGuard(graphql, max_upload_bytes=settings.max_upload_bytes),
                methods=["GET", "POST"],
            ),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    if pool is not None:
        app.state.pool = pool
    return app


@contextlib.asynccontextmanager
async def _services(
    app: Starlette, settings: Settings, pool: ConnectionPool, dsn: str
) -> AsyncIterator[None]:
    """The process's long-lived services: one LISTEN connection, the ingestion runner."""
    hub = NotificationHub(dsn)
    hub.start()
    activity = QueryActivity()
    try:
        async with open_ingestion(
            settings, pool=pool, dsn=dsn, hub=hub, activity=activity
        ) as ingestion:
            app.state.notifications, app.state.ingestion = hub, ingestion
            app.state.activity = activity
            yield
    finally:
        await hub.close()


async def _close(database: Database) -> None:
    await database.close()
    logger.info("database closed")
