"""Both servers' pages are compared before timing: same ids in the same order, same total."""

import orjson
import pytest

from bench.peer_queries import PAGE_SIZE, postgraphile_page, read_page, same_page

FIELDS = {
    "id": "",
    "name": "Ada",
    "gender": "female",
    "genderProbability": 0.9,
    "age": 30,
    "ageGroup": "adult",
    "countryId": "NG",
    "countryName": "Nigeria",
    "countryProbability": 0.8,
    "createdAt": "2026-12-07T12:00:00Z",
}


def _answer(root: str, ids: list[str], total: int) -> bytes:
    edges = [{"cursor": f"c{i}", "node": {**FIELDS, "id": i}} for i in ids]
    return orjson.dumps({"data": {root: {"totalCount": total, "edges": edges}}})


IDS = [f"id-{n}" for n in range(PAGE_SIZE)]


def test_the_same_page_from_both_servers_passes_and_is_described() -> None:
    ours = read_page(_answer("profiles", IDS, 1000))
    theirs = read_page(_answer("allProfiles", IDS, 1000))
    assert same_page(ours, theirs) == {
        "rows": 20,
        "fields": 10,
        "total": 1000,
        "first_id": "id-0",
        "last_id": "id-19",
    }


def test_pages_in_another_order_are_refused() -> None:
    ours = read_page(_answer("profiles", IDS, 1000))
    theirs = read_page(_answer("allProfiles", IDS[::-1], 1000))
    with pytest.raises(RuntimeError, match="different pages"):
        same_page(ours, theirs)


def test_different_totals_are_refused() -> None:
    ours = read_page(_answer("profiles", IDS, 1000))
    theirs = read_page(_answer("allProfiles", IDS, 999))
    with pytest.raises(RuntimeError, match="totals differ"):
        same_page(ours, theirs)


def test_an_answer_with_errors_is_refused() -> None:
    with pytest.raises(RuntimeError, match="answered errors"):
        read_page(b'{"errors": [{"message": "no"}], "data": null}')


def test_postgraphile_is_asked_newest_first_with_the_id_as_tie_breaker() -> None:
    query = orjson.loads(postgraphile_page(total=False))["query"]
    assert "allProfiles(first: 20, orderBy: [CREATED_AT_DESC, ID_DESC])" in query
    assert "totalCount" not in query
