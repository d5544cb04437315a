"""The live transcript page is static HTML: no token needed to load it (the data comes over
the authenticated subscription), strict headers, and every asset it names is served."""

import re

import httpx

from server.graphiql import IMMUTABLE, STATIC_DIR, graphiql_assets


async def test_the_page_is_static_html_with_strict_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/transcripts/live", params={"interview": "1", "token": "secret"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"
    html = response.text
    assert "secret" not in html, "the page never echoes the query string"
    assert "https://" not in html
    assert "http://" not in html
    assert 'data-endpoint="/graphql"' in html


async def test_every_asset_the_page_names_is_served_under_the_hashed_path(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/transcripts/live")).text
    paths = re.findall(r'(?:src|href)="(/graphiql/[^"]+)"', html)
    version = graphiql_assets().version
    assert f"/graphiql/{version}/vendor/graphql-ws.min.js" in paths
    assert len(paths) == 4
    for path in paths:
        response = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.content == (STATIC_DIR / path.split("/", 3)[3]).read_bytes()
