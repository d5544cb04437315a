"""GraphQL over HTTP: the response media type follows `Accept`; under
application/graphql-response+json a request error is 4xx without `data`, under
application/json every GraphQL answer stays 200 as before."""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any, Final

import asyncpg
import httpx
import orjson
import pytest

from server import graphql_over_http
from server.app import create_app
from server.graphql_over_http import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    is_request_error,
    response_media_type,
)
from services.platform.settings import Settings
from tests.conftest import make_token
from tests.graph.ingestion.support import HEADER, INGEST

NEW: Final = {"Accept": GRAPHQL_RESPONSE_JSON}
NEW_CONTENT_TYPE: Final = "application/graphql-response+json; charset=utf-8"
ADMIN: Final = {"Authorization": f"Bearer {make_token()}"}

# A request error of each kind GraphQL itself raises before executing anything.
REQUEST_ERRORS: Final[dict[str, dict[str, Any]]] = {
    "parse": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "variable coercion": {
        "query": "query($first: Int!) { profiles(first: $first) { totalCount } }",
        "variables": {"first": "ten"},
    },
}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", JSON),
        (
            "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8",
            GRAPHQL_RESPONSE_JSON,
        ),
        ("application/graphql-response+json, */*", GRAPHQL_RESPONSE_JSON),
        ("*/*;q=0.5, application/graphql-response+json;q=0.4", JSON),
        ("*/*, application/json;q=0", GRAPHQL_RESPONSE_JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE_JSON),
        ("application/json;q=nonsense", JSON),
        ("text/html", None),
        ("application/json;q=0, application/graphql-response+json;q=0", None),
    ],
)
def test_the_response_type_is_the_supported_type_ranked_highest(
    accept: str | None, expected: str | None
) -> None:
    assert response_media_type(accept) == expected
    assert response_media_type(accept) == expected  # remembered, the same


def test_remembered_accept_headers_are_bounded_and_short() -> None:
    for index in range(2_000):
        accept = f"text/x-{index}, application/json;q=0.{index % 9 + 1}"
        assert response_media_type(accept) == JSON
    long = "text/html, " * 100 + "application/graphql-response+json"
    assert response_media_type(long) == GRAPHQL_RESPONSE_JSON
    assert len(graphql_over_http._chosen) <= graphql_over_http._REMEMBERED_ACCEPTS
    assert long not in graphql_over_http._chosen
    # A burst of odd headers does not end remembering for good.
    common = "application/graphql-response+json, application/json;q=0.9"
    assert response_media_type(common) == GRAPHQL_RESPONSE_JSON
    assert graphql_over_http._chosen[common] == GRAPHQL_RESPONSE_JSON


def test_only_errors_without_a_path_and_without_data_are_request_errors() -> None:
    syntax = {"message": "Syntax Error", "locations": [{"line": 1, "column": 2}]}
    field = {"message": "no", "path": ["viewer"]}
    assert is_request_error({"data": None, "errors": [syntax]})
    assert not is_request_error({"data": None, "errors": [field]})
    assert not is_request_error({"data": {"viewer": None}, "errors": [syntax]})
    assert not is_request_error({"data": {"viewer": None}})


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={**ADMIN, **headers})


async def test_the_new_type_is_answered_when_asked(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ viewer { role } }"}, NEW)
    assert response.status_code == 200
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert response.json() == {"data": {"viewer": {"role": "admin"}}}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_legacy_clients_get_application_json_as_before(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await client.post(
        "/graphql",
        content=orjson.dumps({"query": "{ viewer { role } }"}),
        headers={**ADMIN, "Content-Type": "application/json", **headers},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"viewer": {"role": "admin"}}}


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_a_request_error_in_the_new_type_is_400_without_data(
    client: httpx.AsyncClient, kind: str
) -> None:
    response = await post(client, REQUEST_ERRORS[kind], NEW)
    assert response.status_code == 400
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_a_request_error_in_application_json_stays_200_with_null_data(
    client: httpx.AsyncClient, kind: str
) -> None:
    response = await post(client, REQUEST_ERRORS[kind], {"Accept": JSON})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_field_error_in_the_new_type_is_200_with_data(
    client: httpx.AsyncClient,
) -> None:
    # The operation ran: a field error is a (partial) result, never a request error.
    response = await post(client, {"query": "{ profiles(first: 500) { totalCount } }"}, NEW)
    assert response.status_code == 200
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["path"] == ["profiles"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_unauthenticated_field_in_the_new_type_is_still_a_result(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": "{ viewer { role } }"}, headers=NEW)
    assert response.status_code == 200
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_malformed_body_in_the_new_type_has_no_data(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=b'{ "not a JSON',
        headers={**ADMIN, **NEW, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_accept_naming_neither_type_is_406(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ viewer { role } }"}, {"Accept": "text/html"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, JSON])
async def test_a_mutation_over_get_is_405(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.get(
        "/graphql",
        params={"query": 'mutation { logout(refreshToken: "x") }'},
        headers={**ADMIN, "Accept": accept},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_query_over_get_answers_the_new_type(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ viewer { role } }"}, headers={**ADMIN, **NEW}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert response.json() == {"data": {"viewer": {"role": "admin"}}}


async def test_an_unknown_persisted_query_in_the_new_type_is_404_then_the_text_works(
    client: httpx.AsyncClient,
) -> None:
    text = "{ viewer { role organisation } }"
    digest = hashlib.sha256(text.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = await post(client, {"extensions": persisted}, NEW)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == NEW_CONTENT_TYPE
    assert "data" not in unknown.json()
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await post(client, {"query": text, "extensions": persisted}, NEW)
    assert registered.status_code == 200
    by_hash = await post(client, {"extensions": persisted}, NEW)
    assert by_hash.json() == registered.json()


@pytest.fixture
async def limited(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, rate_limit_per_minute=1), pool=pool)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


async def test_the_rate_limit_keeps_its_429_in_the_new_type(
    limited: httpx.AsyncClient,
) -> None:
    query = {"query": "{ viewer { role } }"}
    assert (await post(limited, query, NEW)).status_code == 200
    refused = await post(limited, query, NEW)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == NEW_CONTENT_TYPE
    assert int(refused.headers["Retry-After"]) >= 1
    assert "data" not in refused.json()
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def multipart(csv: bytes) -> dict[str, Any]:
    return {
        "data": {
            "operations": orjson.dumps({"query": INGEST, "variables": {"file": None}}).decode(),
            "map": orjson.dumps({"0": ["variables.file"]}).decode(),
        },
        "files": {"0": ("profiles.csv", csv, "text/csv")},
    }


async def test_an_upload_answers_the_new_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        **multipart(HEADER.encode()),
        headers={**ADMIN, **NEW, "Apollo-Require-Preflight": "true"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert response.json()["data"]["ingestProfiles"]["fileName"] == "profiles.csv"


async def test_an_upload_without_preflight_in_the_new_type_has_no_data(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", **multipart(HEADER.encode()), headers={**ADMIN, **NEW})
    assert response.status_code == 400
    assert response.headers["content-type"] == NEW_CONTENT_TYPE
    assert "data" not in response.json()
