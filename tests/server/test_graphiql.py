"""GraphiQL is served by the app: our page, committed assets, long caching, no CDN."""

import re
import shutil
from pathlib import Path

import httpx

from server.graphiql import IMMUTABLE, STATIC_DIR, GraphiQLAssets, graphiql_assets

HTML = {"Accept": "text/html,application/xhtml+xml"}


def _asset_paths(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/graphiql/[^"]+)"', html)


async def test_browsers_get_our_page_from_graphql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "https://" not in html, "nothing may load from elsewhere"
    assert "http://" not in html
    assert 'data-endpoint="/graphql"' in html
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    version = graphiql_assets().version
    assert f"/graphiql/{version}/vendor/graphiql.min.js" in _asset_paths(html)


async def test_every_asset_the_page_names_is_served_with_a_year_of_caching(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/graphql", headers=HTML)).text
    paths = _asset_paths(html)
    assert len(paths) == 8
    for path in paths:
        response = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["etag"]
        name = path.split("/", 3)[3]
        assert response.content == (STATIC_DIR / name).read_bytes()


async def test_large_assets_are_sent_gzipped_when_the_browser_accepts_it(
    client: httpx.AsyncClient,
) -> None:
    path = f"/graphiql/{graphiql_assets().version}/vendor/graphiql.min.js"
    response = await client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    # httpx decodes on the fly; compare with the file and check the wire size shrank.
    assert response.content == (STATIC_DIR / "vendor" / "graphiql.min.js").read_bytes()
    assert int(response.headers["content-length"]) < len(response.content) / 3


async def test_an_asset_under_another_version_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphiql/0123456789abcdef/vendor/graphiql.min.js")
    assert response.status_code == 404
    missing = await client.get(f"/graphiql/{graphiql_assets().version}/vendor/nope.js")
    assert missing.status_code == 404


async def test_the_home_page_leads_to_graphiql_keeping_the_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/", params={"token": "abc"})
    assert response.status_code == 307
    assert response.headers["location"] == "/graphql?token=abc"


def test_the_asset_version_changes_when_any_asset_changes(tmp_path: Path) -> None:
    copy = tmp_path / "graphiql"
    shutil.copytree(STATIC_DIR, copy)
    before = GraphiQLAssets.load(copy).version
    (copy / "insighta-graphiql.css").write_text("body { color: red; }\n")
    after = GraphiQLAssets.load(copy)
    assert after.version != before
    assert f"/graphiql/{after.version}/" in after.page()


def test_the_committed_vendor_build_matches_its_pinned_versions() -> None:
    versions = (STATIC_DIR / "vendor" / "VERSIONS").read_text()
    for package in ("graphiql@3.", "react@18.", "react-dom@18.", "graphql-ws@5."):
        assert package in versions
    assert b"window.GraphiQL" in (STATIC_DIR / "vendor" / "graphiql.min.js").read_bytes()
    for path in (STATIC_DIR / "vendor").iterdir():
        # Source maps are not shipped, so nothing may point at one (a 404 in every console).
        assert b"sourceMappingURL" not in path.read_bytes(), path.name
