"""Generated input for every argument of every query and mutation: whatever arrives, the
answer is a GraphQL response whose errors carry one of our codes, never INTERNAL, never a 500,
never a trace of the server's insides.

Arguments are drawn from the schema's own types (tests/graph/operations.py): mostly the right
shape with hostile content (SQL, NUL characters, huge and odd Unicode text, out-of-range
numbers, lists past their caps, unknown input fields), sometimes the wrong type altogether.
Ids are often those of a real candidate, interview and user. They are sent as variables by a
platform admin, who gets past every permission to the code that handles the values.
"""

import os
from typing import Any, Final

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.errors import ErrorCode
from tests.conftest import GraphQLCall, make_token
from tests.graph.accounts.helpers import data as answer
from tests.graph.accounts.helpers import sign_up
from tests.graph.interviews.documents import CREATE_CANDIDATE, CREATE_INTERVIEW
from tests.graph.operations import Generator, Operation, operations

ANSWERABLE_CODES: Final = frozenset(code.value for code in ErrorCode) - {ErrorCode.INTERNAL.value}
# What a leaked exception, traceback or SQL error would look like in a response.
INSIDES: Final = ("Traceback", 'File "/', "asyncpg", "PostgresError", "psycopg")
# INSIGHTA_FUZZ_EXAMPLES=1000 for a longer hunt than the suite's default.
EXAMPLES: Final = int(os.environ.get("INSIGHTA_FUZZ_EXAMPLES") or 30)

FUZZED: Final = [operation for operation in operations() if operation.kind != "subscription"]
ADMIN: Final = make_token()


@pytest.fixture(scope="module")
async def generator(gql: GraphQLCall) -> Generator:
    candidate = answer(
        await gql(CREATE_CANDIDATE, {"input": {"name": "Fuzz", "email": "fuzz@example.com"}})
    )["createCandidate"]["id"]
    interview = answer(
        await gql(
            CREATE_INTERVIEW,
            {"input": {"candidateId": candidate, "roleTitle": "Fuzzer", "jobDescription": "Go"}},
        )
    )["createInterview"]["id"]
    user = await sign_up(gql)
    return Generator(known_ids=(candidate, interview, user.id))


@pytest.mark.parametrize("operation", FUZZED, ids=lambda operation: operation.name)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_generated_arguments_get_coded_answers(
    client: httpx.AsyncClient, generator: Generator, operation: Operation, data: st.DataObject
) -> None:
    arguments = data.draw(generator.arguments(operation), label="arguments")
    response = await client.post(
        "/graphql",
        json={"query": operation.document(), "variables": operation.variables(arguments)},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        assert error["extensions"]["code"] in ANSWERABLE_CODES, error
        assert not any(text in error["message"] for text in INSIDES), error
    assert body.get("errors") or body.get("data") is not None, body
