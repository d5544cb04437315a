"""The permission table, proved against the schema itself.

Every root operation of `graph.schema` must have a row in graph/core/authorization.py (a new
operation without one fails here, by name), must go through the table's permission class, and
answers each kind of caller exactly as its row says: FORBIDDEN for a role it does not list,
UNAUTHENTICATED without a token, and never a permission error for a caller it admits. Every
operation that looks up an organisation's row by id answers another organisation's row
NOT_FOUND, word for word like a missing one.
"""

import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import asyncpg
import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, get_named_type
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket
from strawberry.types import ExecutionResult

from graph.core.authorization import (
    FIELD_PERMISSIONS,
    PERMISSIONS,
    PLATFORM_ONLY,
    PROTECTED_TYPES,
    ROLE_REFUSED,
    TOKEN_REQUIRED,
    Resource,
    Rule,
    Scope,
)
from graph.core.permissions import FieldPermitted, Permitted
from graph.schema import schema
from server.app import InsightaGraphQL, create_app
from services.auth.tokens import Role, issue_token
from services.platform.settings import Settings
from tests.conftest import TEST_SECRET, make_token
from tests.graph.accounts.helpers import sign_up
from tests.graph.interviews.documents import CREATE_CANDIDATE, CREATE_INTERVIEW
from tests.graph.operations import (
    MISSING_ID,
    Operation,
    operations,
    required_id_paths,
    sample_arguments,
    type_at,
    with_value_at,
)

OPERATIONS: Final = operations()
ORGANISATION: Final = f"matrix-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    role: Role | None
    organisation: str | None = None
    interview: str | None = None

    @property
    def token(self) -> str | None:
        if self.role is None:
            return None
        return issue_token(
            TEST_SECRET,
            role=self.role,
            subject=f"matrix-{self.name}",
            organisation=self.organisation,
            interview=self.interview,
            ttl=timedelta(hours=1),
        )

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.ADMIN and self.organisation is None


CALLERS: Final = (
    Caller("platform-admin", Role.ADMIN),
    Caller("organisation-admin", Role.ADMIN, ORGANISATION),
    Caller("recruiter", Role.RECRUITER, ORGANISATION),
    Caller("analyst", Role.ANALYST, ORGANISATION),
    Caller("agent", Role.AGENT, interview=MISSING_ID),
    Caller("anonymous", None),
)


def _ids(operation: Operation) -> str:
    return operation.name


# ---------------------------------------------------------------- the table covers the schema


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids)
def test_every_operation_has_a_permission_rule(operation: Operation) -> None:
    assert operation.name in PERMISSIONS, (
        f"the {operation.kind} `{operation.name}` has no row in PERMISSIONS "
        "(graph/core/authorization.py): add one saying which roles may call it and its scope"
    )


def test_every_rule_names_an_operation_of_the_schema() -> None:
    names = {operation.name for operation in OPERATIONS}
    assert len(names) == len(OPERATIONS), "root field names must be unique across root types"
    stale = set(PERMISSIONS) - names
    assert not stale, f"PERMISSIONS has rows for operations the schema lacks: {sorted(stale)}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids)
def test_every_operation_goes_through_the_table(operation: Operation) -> None:
    definition = operation.field.extensions["strawberry-definition"]
    assert definition.permission_classes == [Permitted], (
        f"`{operation.name}` must use permission_classes=[Permitted] (graph/core/permissions.py)"
    )


def _fields_into_protected_types() -> dict[str, tuple[str, Any]]:
    """ "Type.field" -> (protected type name, field) for every non-root field into one."""
    roots = {schema._schema.query_type, schema._schema.mutation_type}
    roots.add(schema._schema.subscription_type)
    found: dict[str, tuple[str, Any]] = {}
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type in roots:
            continue
        if graphql_type.name.startswith("__") or graphql_type.name in PROTECTED_TYPES:
            continue
        for name, field in graphql_type.fields.items():
            target = get_named_type(field.type).name
            if target in PROTECTED_TYPES:
                found[f"{graphql_type.name}.{name}"] = (target, field)
    return found


def test_every_field_into_candidate_data_has_a_rule_and_goes_through_it() -> None:
    fields = _fields_into_protected_types()
    assert fields, "the walk found no field into a protected type"
    assert set(FIELD_PERMISSIONS) == set(fields), (
        "FIELD_PERMISSIONS (graph/core/authorization.py) must have a row for exactly the fields "
        f"into protected types: {sorted(fields)}"
    )
    for name, (target, field) in fields.items():
        assert FIELD_PERMISSIONS[name] <= PROTECTED_TYPES[target], name
        assert Role.AGENT not in FIELD_PERMISSIONS[name], name
        definition = field.extensions["strawberry-definition"]
        assert definition.permission_classes == [FieldPermitted], (
            f"`{name}` must use permission_classes=[FieldPermitted] (graph/core/permissions.py)"
        )


@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids)
def test_root_fields_answering_candidate_data_admit_only_its_readers(
    operation: Operation,
) -> None:
    target = get_named_type(operation.field.type).name
    if target in PROTECTED_TYPES:
        assert PERMISSIONS[operation.name].roles <= PROTECTED_TYPES[target], operation.name


def _rule_of(operation: Operation) -> Rule:
    return PERMISSIONS[operation.name]


def _with_resource() -> list[Operation]:
    return [op for op in OPERATIONS if op.name in PERMISSIONS and PERMISSIONS[op.name].resource]


def test_resource_arguments_are_required_ids_of_their_operation() -> None:
    checked = 0
    for operation in _with_resource():
        resource = _rule_of(operation).resource
        assert resource is not None
        found = type_at(operation, resource.path)
        assert isinstance(found, GraphQLNonNull), f"{operation.name}: {resource.path} missing"
        assert isinstance(found.of_type, GraphQLScalarType), operation.name
        assert found.of_type.name == "ID", f"{operation.name}: {resource.path} is not an ID"
        checked += 1
    assert checked >= 9  # interviews, candidates, users


def _organisation_scoped() -> list[Operation]:
    return [
        op
        for op in OPERATIONS
        if op.name in PERMISSIONS and PERMISSIONS[op.name].scope is Scope.ORGANISATION
    ]


@pytest.mark.parametrize("operation", _organisation_scoped(), ids=_ids)
def test_organisation_operations_declare_the_row_they_look_up(operation: Operation) -> None:
    """An organisation-scoped operation that takes a required id must say what it names, so
    the NOT_FOUND test below covers it."""
    paths = set(required_id_paths(operation))
    resource = _rule_of(operation).resource
    if paths:
        message = (
            f"`{operation.name}` takes {sorted(paths)}: name the one it looks up as its "
            "`resource` in PERMISSIONS"
        )
        assert resource is not None, message
        assert resource.path in paths, message


# ---------------------------------------------------------------- running operations


def _graphql_view(app: Starlette) -> InsightaGraphQL:
    # The websocket route holds the view itself (the HTTP one has the upload guard around it).
    for route in app.routes:
        if isinstance(route, WebSocketRoute) and route.path == "/graphql":
            endpoint = route.endpoint
            assert isinstance(endpoint, InsightaGraphQL)
            return endpoint
    raise AssertionError("no /graphql websocket route")


@dataclass
class Runner:
    app: Starlette
    http: httpx.AsyncClient

    async def run(
        self, operation: Operation, arguments: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        document, variables = operation.document(), operation.variables(arguments)
        if operation.kind == "subscription":
            return await self._first_event(document, variables, token)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def _first_event(
        self, document: str, variables: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        """A subscription's first result, through the app's own context (auth included), as
        the websocket on /graphql would build it."""
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        scope = {
            "type": "websocket",
            "path": "/graphql",
            "headers": headers,
            "query_string": b"",
            "app": self.app,
        }
        socket = WebSocket(scope, receive=_no_receive, send=_no_send)
        context = await _graphql_view(self.app).get_context(socket, None)
        result = await schema.subscribe(document, variables, context_value=context)
        first: ExecutionResult
        if isinstance(result, AsyncGenerator):
            async with contextlib.aclosing(result) as stream:
                first = await anext(stream)
        else:
            first = result
        return {
            "data": first.data,
            "errors": [error.formatted for error in first.errors or []] or None,
        }


async def _no_receive() -> Message:
    raise AssertionError("the subscription is run without the socket")


async def _no_send(message: Message) -> None:
    raise AssertionError("the subscription is run without the socket")


@pytest.fixture(scope="module")
async def runner(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> AsyncIterator[Runner]:
    app = create_app(settings, pool=pool, dsn=database_dsn)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield Runner(app, http)
    await app.state.interviews.aclose()


# ---------------------------------------------------------------- the matrix


def _expected_refusal(rule: Rule, operation: str, caller: Caller) -> tuple[str, str] | None:
    if rule.scope is Scope.PUBLIC:
        return None
    if caller.role is None:
        return "UNAUTHENTICATED", TOKEN_REQUIRED
    if caller.role not in rule.roles:
        return "FORBIDDEN", ROLE_REFUSED.format(role=caller.role.value, operation=operation)
    if rule.scope is Scope.PLATFORM and not caller.is_platform_admin:
        return "FORBIDDEN", PLATFORM_ONLY.format(operation=operation)
    return None


_PERMISSION_MESSAGES: Final = (TOKEN_REQUIRED, "may not use", "only platform admins")


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
@pytest.mark.parametrize("operation", OPERATIONS, ids=_ids)
async def test_each_caller_gets_exactly_what_the_table_says(
    runner: Runner, operation: Operation, caller: Caller
) -> None:
    rule = PERMISSIONS[operation.name]
    body = await runner.run(operation, sample_arguments(operation), caller.token)
    errors = body.get("errors") or []
    assert all(error["extensions"]["code"] != "INTERNAL" for error in errors), errors
    refusal = _expected_refusal(rule, operation.name, caller)
    if refusal is not None:
        assert not any((body.get("data") or {}).values()), body
        assert [(e["extensions"]["code"], e["message"]) for e in errors] == [refusal]
    else:
        for error in errors:
            assert error["extensions"]["code"] != "FORBIDDEN", error
            assert not any(text in error["message"] for text in _PERMISSION_MESSAGES), error


# ---------------------------------------------------------------- other organisations' rows


@dataclass
class ForeignRows:
    ids: dict[Resource, str]
    owner_token: str
    user_token: str


@pytest.fixture(scope="module")
async def foreign(runner: Runner) -> ForeignRows:
    """An interview, a candidate and a user of an organisation none of the callers are in."""

    async def gql(query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await runner.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    owner = make_token(Role.RECRUITER, organisation=f"owner-{uuid.uuid4().hex[:8]}")
    candidate = await gql(
        CREATE_CANDIDATE, {"input": {"name": "Foreign", "email": "f@example.com"}}, owner
    )
    candidate_id = candidate["data"]["createCandidate"]["id"]
    interview = await gql(
        CREATE_INTERVIEW,
        {"input": {"candidateId": candidate_id, "roleTitle": "Engineer", "jobDescription": "Go"}},
        owner,
    )
    user = await sign_up(gql)
    return ForeignRows(
        ids={
            Resource.CANDIDATE: candidate_id,
            Resource.INTERVIEW: interview["data"]["createInterview"]["id"],
            Resource.USER: user.id,
        },
        owner_token=owner,
        user_token=user.access_token,
    )


OWNER_VIEW: Final = {
    Resource.INTERVIEW: "query($id: ID!) { interview(id: $id) { status updatedAt questions } }",
    Resource.CANDIDATE: "query($id: ID!) { candidate(id: $id) { name email } }",
}


async def _owner_view(runner: Runner, rows: ForeignRows, resource: Resource) -> Any:
    if resource is Resource.USER:
        query, variables, token = "{ me { active } }", {}, rows.user_token
    else:
        query, variables, token = OWNER_VIEW[resource], {"id": rows.ids[resource]}, rows.owner_token
    response = await runner.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()["data"]


OUTSIDERS: Final = (
    Caller("organisation-admin", Role.ADMIN, ORGANISATION),
    Caller("recruiter", Role.RECRUITER, ORGANISATION),
    Caller("agent-of-another-interview", Role.AGENT, interview=MISSING_ID),
)


@pytest.mark.parametrize("operation", _with_resource(), ids=_ids)
async def test_another_organisations_rows_are_not_found_like_missing_ones(
    runner: Runner, foreign: ForeignRows, operation: Operation
) -> None:
    rule = PERMISSIONS[operation.name]
    assert rule.resource is not None
    resource, path = rule.resource.resource, rule.resource.path
    foreign_id = foreign.ids[resource]
    before = await _owner_view(runner, foreign, resource)
    callers = [caller for caller in OUTSIDERS if caller.role in rule.roles]
    assert callers
    for caller in callers:
        arguments = sample_arguments(operation)
        theirs = await runner.run(
            operation, with_value_at(arguments, path, foreign_id), caller.token
        )
        missing = await runner.run(
            operation, with_value_at(arguments, path, MISSING_ID), caller.token
        )
        assert [e["extensions"]["code"] for e in theirs["errors"]] == ["NOT_FOUND"], (
            caller,
            theirs,
        )
        assert [e["extensions"]["code"] for e in missing["errors"]] == ["NOT_FOUND"], caller
        assert theirs["errors"][0]["message"].replace(foreign_id, "<id>") == (
            missing["errors"][0]["message"].replace(MISSING_ID, "<id>")
        )
    assert await _owner_view(runner, foreign, resource) == before
