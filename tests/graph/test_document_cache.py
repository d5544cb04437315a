"""Query texts are parsed once; a text that does not parse still gets its error code."""

from graph.document_cache import _parse
from tests.conftest import GraphQLCall

QUERY = 'query CacheProbe { interpretQuery(text: "women in Kenya") { filter { countryId } } }'


async def test_a_repeated_query_text_is_parsed_once(gql: GraphQLCall) -> None:
    await gql(QUERY)
    before = _parse.cache_info()
    body = await gql(QUERY)
    after = _parse.cache_info()
    assert body["data"]["interpretQuery"]["filter"]["countryId"] == "KE"
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)


async def test_a_syntax_error_is_not_cached_and_keeps_its_code(gql: GraphQLCall) -> None:
    for _ in range(2):
        body = await gql("query { profiles(")
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
