"""The Starlette application: `/graphql` (POST, GET, GraphiQL, websockets) and `/healthz`."""

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from graph.context import Context
from graph.schema import schema
from services.auth.tokens import verify_token
from services.cache import build_result_cache
from services.data_version import DataVersion
from services.database import ConnectionPool, Database, is_reachable, open_database
from services.errors import ServiceError
from services.profiles.seed import seed_demo_profiles
from services.settings import Secret, Settings

logger = logging.getLogger(__name__)

OnReady = Callable[[Settings, Secret], Awaitable[None] | None]


class InsightaGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, orjson and the pool from the app state."""

    def __init__(self, settings: Settings, secret_key: Secret) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True)
        self.settings = settings
        self.secret_key = secret_key

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        context = Context(
            request=request,
            response=response,
            pool=request.app.state.pool,
            settings=self.settings,
            request_id=request.headers.get("x-request-id") or uuid.uuid4().hex,
            cache=request.app.state.cache,
        )
        token = _bearer_token(request.headers.get("authorization"))
        if token is not None:
            try:
                context.principal = verify_token(self.secret_key, token)
            except ServiceError as error:
                context.auth_error = error
        return context

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
    on_ready: OnReady | None = None,
) -> Starlette:
    """The app. With `pool` given (tests) it uses that; else its lifespan opens the database."""
    secret_key = settings.resolved_secret_key()
    graphql = InsightaGraphQL(settings, secret_key)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if pool is not None:
            yield
            return
        database = await open_database(settings)
        app.state.cache = build_result_cache(settings, DataVersion(database.pool))
        try:
            if database.created_now and database.embedded is not None:
                result = await seed_demo_profiles(database.pool)
                logger.info("loaded the demo profiles", extra={"inserted": result.inserted})
            if on_ready is not None:
                outcome = on_ready(settings, secret_key)
                if outcome is not None:
                    await outcome
            app.state.pool = database.pool
            yield
        finally:
            await app.state.cache.close()
            await _close(database)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    if pool is not None:
        app.state.pool = pool
        app.state.cache = build_result_cache(settings, DataVersion(pool))
    return app


async def _close(database: Database) -> None:
    await database.close()
    logger.info("database closed")
