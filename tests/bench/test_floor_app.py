"""The transport floor answers the fixed bytes it was given, whatever it is sent."""

import httpx

from bench.floor_app import floor_app


async def test_the_floor_answers_its_bytes_with_their_media_type() -> None:
    body = b'{"data":{"profiles":{"totalCount":3}}}'
    app = floor_app(body, "application/graphql-response+json")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        response = await client.post("/graphql", content=b'{"query": "{ __typename }"}')
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "application/graphql-response+json"
