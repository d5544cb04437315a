"""Totals on the demo data for phrasings a reasonable user would type, against an oracle that
reads the demo JSON directly (no parser, no SQL)."""

from collections.abc import Callable

import pytest

from tests.conftest import GraphQLCall
from tests.demo_data import Record, count_where

pytestmark = pytest.mark.usefixtures("demo_profiles")

TOTAL = "query Total($query: String) { profiles(query: $query, first: 1) { totalCount } }"


Predicate = Callable[[Record], bool]


def where(
    *, gender: str | None = None, country: str | None = None, low: int = 0, high: int = 150
) -> Predicate:
    def predicate(record: Record) -> bool:
        age: int = record["age"]
        return (
            gender in (None, record["gender"])
            and country in (None, record["country_id"])
            and low <= age <= high
        )

    return predicate


PHRASINGS: list[tuple[str, Predicate]] = [
    ("Nigerian females aged 20 to 45", where(gender="female", country="NG", low=20, high=45)),
    (
        "Nigerian females between ages 20 and 45",
        where(gender="female", country="NG", low=20, high=45),
    ),
    ("Women aged 20-45 living in Nigeria", where(gender="female", country="NG", low=20, high=45)),
    (
        "women in nigeria between 20 and 45 years old",
        where(gender="female", country="NG", low=20, high=45),
    ),
    ("females from Nigeria aged 20–45", where(gender="female", country="NG", low=20, high=45)),
    ("young males from kenya", where(gender="male", country="KE", low=16, high=24)),
    ("Kenyan men", where(gender="male", country="KE")),
    ("men from Kenya", where(gender="male", country="KE")),
    ("people in Ghana", where(country="GH")),
    ("Ghanaians", where(country="GH")),
    ("everyone from South Africa", where(country="ZA")),
    ("South African women over 50", where(gender="female", country="ZA", low=50)),
    ("seniors", where(low=60)),
    ("elderly people in Ethiopia", where(country="ET", low=60)),
    ("children", where(high=12)),
    ("kids from Egypt", where(country="EG", high=12)),
    ("teenagers", where(low=13, high=19)),
    ("teenage girls", where(gender="female", low=13, high=19)),
    ("male and female teenagers above 17", where(low=17, high=19)),
    ("adults", where(low=20, high=59)),
    ("adult men in the UK", where(gender="male", country="GB", low=20, high=59)),
    ("British women", where(gender="female", country="GB")),
    ("Americans under 30", where(country="US", high=30)),
    ("people from the USA aged 40+", where(country="US", low=40)),
    ("men in their 30s", where(gender="male", low=30, high=39)),
    ("women aged 25", where(gender="female", low=25, high=25)),
    ("people older than 70", where(low=70)),
    ("people younger than 18 in Tanzania", where(country="TZ", high=18)),
    ("Congolese adults", where(country="CD", low=20, high=59)),
    ("people from DR Congo", where(country="CD")),
    ("people from the Republic of the Congo", where(country="CG")),
    ("Ivorians", where(country="CI")),
    ("women from Ivory Coast", where(gender="female", country="CI")),
    ("Beninese men aged 30 to 60", where(gender="male", country="BJ", low=30, high=60)),
    ("males in Cameroon 18 and over", where(gender="male", country="CM", low=18)),
    ("ladies from Senegal", where(gender="female", country="SN")),
    ("guys from Uganda under 25", where(gender="male", country="UG", high=25)),
    ("people in Niger", where(country="NE")),
    ("South Sudanese", where(country="SS")),
    ("Sudanese women", where(gender="female", country="SD")),
    ("people from Guinea-Bissau", where(country="GW")),
    ("Equatorial Guineans", where(country="GQ")),
    ("people from Sao Tome and Principe", where(country="ST")),
    ("Swazi seniors", where(country="SZ", low=60)),
    ("everyone", where()),
]


@pytest.mark.parametrize(("text", "predicate"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
async def test_plain_english_total_matches_the_data(
    gql: GraphQLCall, text: str, predicate: Predicate
) -> None:
    body = await gql(TOTAL, {"query": text})
    assert "errors" not in body, body
    assert body["data"]["profiles"]["totalCount"] == count_where(predicate)
