import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.errors import ErrorCode, ServiceError
from services.profiles.countries import COUNTRY_NAMES
from services.profiles.enums import AgeGroup, Gender
from services.profiles.filters import CanonicalFilter, FilterSpec, normalize
from services.profiles.language import (
    MAX_QUERY_LENGTH,
    Interpretation,
    interpret,
    interpret_and_normalize,
)

MALE, FEMALE = Gender.MALE, Gender.FEMALE
CHILD, TEENAGER, ADULT, SENIOR = AgeGroup.CHILD, AgeGroup.TEENAGER, AgeGroup.ADULT, AgeGroup.SENIOR


def canonical_filter(query: str) -> CanonicalFilter:
    return interpret_and_normalize(query)[1]


def error_from(query: str) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        interpret_and_normalize(query)
    return raised.value


# Each phrasing and the structured filter that means the same; both go through normalize.
PHRASINGS: list[tuple[str, FilterSpec]] = [
    # the examples in docs/api.md
    ("Nigerian females between ages 20 and 45", FilterSpec(FEMALE, None, "NG", 20, 45)),
    ("Women aged 20-45 living in Nigeria", FilterSpec(FEMALE, None, "NG", 20, 45)),
    ("females from nigeria aged 20 to 45", FilterSpec(FEMALE, None, "NG", 20, 45)),
    ("nigerian women between 20 and 45 years old", FilterSpec(FEMALE, None, "NG", 20, 45)),
    ("male and female teenagers above 17", FilterSpec(age_group=TEENAGER, min_age=17)),
    ("Women aged 20–45 living in Nigeria", FilterSpec(FEMALE, None, "NG", 20, 45)),
    ("people in their 30s", FilterSpec(min_age=30, max_age=39)),
    # gender words
    ("male", FilterSpec(MALE)),
    ("males", FilterSpec(MALE)),
    ("men", FilterSpec(MALE)),
    ("man", FilterSpec(MALE)),
    ("boys", FilterSpec(MALE)),  # boys/girls say nothing about age
    ("boy", FilterSpec(MALE)),
    ("guys", FilterSpec(MALE)),
    ("gentlemen", FilterSpec(MALE)),
    ("female", FilterSpec(FEMALE)),
    ("females", FilterSpec(FEMALE)),
    ("women", FilterSpec(FEMALE)),
    ("woman", FilterSpec(FEMALE)),
    ("girls", FilterSpec(FEMALE)),
    ("girl", FilterSpec(FEMALE)),
    ("ladies", FilterSpec(FEMALE)),
    ("lady", FilterSpec(FEMALE)),
    ("MEN", FilterSpec(MALE)),
    ("Women?", FilterSpec(FEMALE)),
    ("men's profiles", FilterSpec(MALE)),
    ("Kenya's women", FilterSpec(FEMALE, None, "KE")),
    ("NIGERIA’S SENIORS", FilterSpec(None, SENIOR, "NG")),
    # both genders, or everyone
    ("male and female", FilterSpec()),
    ("men and women", FilterSpec()),
    ("women and men", FilterSpec()),
    ("boys and girls", FilterSpec()),
    ("male/female", FilterSpec()),
    ("both genders", FilterSpec()),
    ("people", FilterSpec()),
    ("persons", FilterSpec()),
    ("everyone", FilterSpec()),
    ("all", FilterSpec()),
    ("show me all profiles", FilterSpec()),
    ("list all users", FilterSpec()),
    # age groups
    ("children", FilterSpec(age_group=CHILD)),
    ("kids", FilterSpec(age_group=CHILD)),
    ("child", FilterSpec(age_group=CHILD)),
    ("kid", FilterSpec(age_group=CHILD)),
    ("teenagers", FilterSpec(age_group=TEENAGER)),
    ("teens", FilterSpec(age_group=TEENAGER)),
    ("teen", FilterSpec(age_group=TEENAGER)),
    ("teenager", FilterSpec(age_group=TEENAGER)),
    ("adolescents", FilterSpec(age_group=TEENAGER)),
    ("teenage girls", FilterSpec(FEMALE, TEENAGER)),
    ("adults", FilterSpec(age_group=ADULT)),
    ("adult", FilterSpec(age_group=ADULT)),
    ("adult males", FilterSpec(MALE, ADULT)),
    ("seniors", FilterSpec(age_group=SENIOR)),
    ("senior", FilterSpec(age_group=SENIOR)),
    ("elderly", FilterSpec(age_group=SENIOR)),
    ("old people", FilterSpec(age_group=SENIOR)),
    ("pensioners", FilterSpec(age_group=SENIOR)),
    ("retirees", FilterSpec(age_group=SENIOR)),
    ("elderly men", FilterSpec(MALE, SENIOR)),
    ("older adults", FilterSpec(age_group=SENIOR)),
    ("senior women in Ghana", FilterSpec(FEMALE, SENIOR, "GH")),
    ("kids and teens", FilterSpec(max_age=19)),
    ("teenagers and adults", FilterSpec(min_age=13, max_age=59)),
    # young, middle-aged, minors, decades
    ("young", FilterSpec(min_age=16, max_age=24)),
    ("young women", FilterSpec(FEMALE, min_age=16, max_age=24)),
    ("young people in Kenya", FilterSpec(None, None, "KE", 16, 24)),
    ("young adults", FilterSpec(min_age=16, max_age=24)),
    ("youth in Uganda", FilterSpec(None, None, "UG", 16, 24)),
    ("young men over 20", FilterSpec(MALE, min_age=20, max_age=24)),
    ("middle-aged Brazilians", FilterSpec(None, None, "BR", 40, 59)),
    ("minors", FilterSpec(max_age=17)),
    ("in their thirties", FilterSpec(min_age=30, max_age=39)),
    ("women in their 20s", FilterSpec(FEMALE, min_age=20, max_age=29)),
    ("men in their 40's", FilterSpec(MALE, min_age=40, max_age=49)),
    ("90s", FilterSpec(min_age=90, max_age=99)),
    ("people in their late twenties", FilterSpec(min_age=27, max_age=29)),
    ("women in their early 30s", FilterSpec(FEMALE, min_age=30, max_age=33)),
    ("in their mid-thirties", FilterSpec(min_age=34, max_age=36)),
    ("30s and 40s", FilterSpec(min_age=30, max_age=49)),
    ("adults in their 30s", FilterSpec(age_group=ADULT, min_age=30, max_age=39)),
    ("seniors in their seventies", FilterSpec(age_group=SENIOR, min_age=70, max_age=79)),
    ("octogenarians in Japan", FilterSpec(None, None, "JP", 80, 89)),
    ("in their teens", FilterSpec(age_group=TEENAGER)),
    # lower bounds (inclusive, "above" too)
    ("above 30", FilterSpec(min_age=30)),
    ("over 30", FilterSpec(min_age=30)),
    ("older than 30", FilterSpec(min_age=30)),
    ("at least 30", FilterSpec(min_age=30)),
    ("more than 30", FilterSpec(min_age=30)),
    ("greater than 30", FilterSpec(min_age=30)),
    ("30 and above", FilterSpec(min_age=30)),
    ("30 and over", FilterSpec(min_age=30)),
    ("30 and older", FilterSpec(min_age=30)),
    ("30+", FilterSpec(min_age=30)),
    ("30 +", FilterSpec(min_age=30)),
    ("30 or older", FilterSpec(min_age=30)),
    ("30 or over", FilterSpec(min_age=30)),
    ("30 or above", FilterSpec(min_age=30)),
    ("65 and up", FilterSpec(min_age=65)),
    ("over the age of 30", FilterSpec(min_age=30)),
    ("at least 21 years old", FilterSpec(min_age=21)),
    ("30 years and older", FilterSpec(min_age=30)),
    ("aged 30 and over", FilterSpec(min_age=30)),
    ("no younger than 30", FilterSpec(min_age=30)),
    ("over thirty", FilterSpec(min_age=30)),
    ("over one hundred", FilterSpec(min_age=100)),
    ("women aged one hundred and five", FilterSpec(FEMALE, min_age=105, max_age=105)),
    ("people aged 60+", FilterSpec(age_group=SENIOR)),
    ("over 60s", FilterSpec(age_group=SENIOR)),
    ("Americans over 65", FilterSpec(None, None, "US", 65)),
    # upper bounds
    ("below 18", FilterSpec(max_age=18)),
    ("under 18", FilterSpec(max_age=18)),
    ("younger than 18", FilterSpec(max_age=18)),
    ("at most 18", FilterSpec(max_age=18)),
    ("less than 18", FilterSpec(max_age=18)),
    ("18 or younger", FilterSpec(max_age=18)),
    ("18 or under", FilterSpec(max_age=18)),
    ("18 or below", FilterSpec(max_age=18)),
    ("18 and under", FilterSpec(max_age=18)),
    ("18 and below", FilterSpec(max_age=18)),
    ("18 and younger", FilterSpec(max_age=18)),
    ("under the age of 18", FilterSpec(max_age=18)),
    ("less than 18 years of age", FilterSpec(max_age=18)),
    ("no older than 30", FilterSpec(max_age=30)),
    ("not older than 30", FilterSpec(max_age=30)),
    ("up to 30", FilterSpec(max_age=30)),
    ("under 18s in Ghana", FilterSpec(None, None, "GH", None, 18)),
    ("under twelve", FilterSpec(age_group=CHILD)),
    ("kids under 10", FilterSpec(age_group=CHILD, max_age=10)),
    ("girls under 12", FilterSpec(FEMALE, CHILD)),
    # ranges
    ("aged 20 to 45", FilterSpec(min_age=20, max_age=45)),
    ("between 20 and 45", FilterSpec(min_age=20, max_age=45)),
    ("between ages 20 and 45", FilterSpec(min_age=20, max_age=45)),
    ("between the ages of 20 and 45", FilterSpec(min_age=20, max_age=45)),
    ("aged between 20 and 45", FilterSpec(min_age=20, max_age=45)),
    ("between 45 and 20", FilterSpec(min_age=20, max_age=45)),
    ("from 20 to 45", FilterSpec(min_age=20, max_age=45)),
    ("20-45", FilterSpec(min_age=20, max_age=45)),
    ("20–45", FilterSpec(min_age=20, max_age=45)),
    ("20 - 45", FilterSpec(min_age=20, max_age=45)),
    ("20 to 45", FilterSpec(min_age=20, max_age=45)),
    ("20 to 45 years old", FilterSpec(min_age=20, max_age=45)),
    ("20 to 45 year olds", FilterSpec(min_age=20, max_age=45)),
    ("ages 20-45", FilterSpec(min_age=20, max_age=45)),
    ("18-24 year old men", FilterSpec(MALE, min_age=18, max_age=24)),
    ("over 18 and under 30", FilterSpec(min_age=18, max_age=30)),
    ("between twenty and forty-five", FilterSpec(min_age=20, max_age=45)),
    ("people aged 13 to 19", FilterSpec(age_group=TEENAGER)),
    ("men between 20 and 59", FilterSpec(MALE, ADULT)),
    ("people aged 0-12", FilterSpec(age_group=CHILD)),
    # exact ages
    ("aged 25", FilterSpec(min_age=25, max_age=25)),
    ("25 years old", FilterSpec(min_age=25, max_age=25)),
    ("25-year-old men", FilterSpec(MALE, min_age=25, max_age=25)),
    ("25 year old women", FilterSpec(FEMALE, min_age=25, max_age=25)),
    ("25 yo", FilterSpec(min_age=25, max_age=25)),
    ("25yo", FilterSpec(min_age=25, max_age=25)),
    ("25 y/o", FilterSpec(min_age=25, max_age=25)),
    ("age 25", FilterSpec(min_age=25, max_age=25)),
    ("women who are 25", FilterSpec(FEMALE, min_age=25, max_age=25)),
    ("aged twenty-five", FilterSpec(min_age=25, max_age=25)),
    ("twenty five year old women", FilterSpec(FEMALE, min_age=25, max_age=25)),
    # countries by name, alternative name and demonym
    ("Nigeria", FilterSpec(country_id="NG")),
    ("people from Nigeria", FilterSpec(country_id="NG")),
    ("people in Nigeria", FilterSpec(country_id="NG")),
    ("living in Nigeria", FilterSpec(country_id="NG")),
    ("based in Nigeria", FilterSpec(country_id="NG")),
    ("residing in Nigeria", FilterSpec(country_id="NG")),
    ("Nigerians", FilterSpec(country_id="NG")),
    ("nigeria?", FilterSpec(country_id="NG")),
    ("NIGERIA.", FilterSpec(country_id="NG")),
    ("Niger", FilterSpec(country_id="NE")),
    ("Nigeriens", FilterSpec(country_id="NE")),
    ("Kenyans", FilterSpec(country_id="KE")),
    ("Kenyan men", FilterSpec(MALE, None, "KE")),
    ("Ghanaian women over 50", FilterSpec(FEMALE, None, "GH", 50)),
    ("Ghanaian men and women over 50", FilterSpec(None, None, "GH", 50)),
    ("South Sudan", FilterSpec(country_id="SS")),
    ("Sudan", FilterSpec(country_id="SD")),
    ("South Sudanese men", FilterSpec(MALE, None, "SS")),
    ("Guinea", FilterSpec(country_id="GN")),
    ("Equatorial Guinea", FilterSpec(country_id="GQ")),
    ("Guinea-Bissau", FilterSpec(country_id="GW")),
    ("Papua New Guinea", FilterSpec(country_id="PG")),
    ("Bissau-Guinean women", FilterSpec(FEMALE, None, "GW")),
    ("Isle of Man men", FilterSpec(MALE, None, "IM")),
    ("women in the US", FilterSpec(FEMALE, None, "US")),
    ("women in the USA", FilterSpec(FEMALE, None, "US")),
    ("women from the U.S.", FilterSpec(FEMALE, None, "US")),
    ("men in US", FilterSpec(MALE, None, "US")),
    ("show us Kenyans", FilterSpec(country_id="KE")),
    ("SHOW US WOMEN IN THE US", FilterSpec(FEMALE, None, "US")),
    ("American women", FilterSpec(FEMALE, None, "US")),
    ("British men", FilterSpec(MALE, None, "GB")),
    ("Scottish women", FilterSpec(FEMALE, None, "GB")),
    ("people from the UK", FilterSpec(country_id="GB")),
    ("pensioners in England", FilterSpec(None, SENIOR, "GB")),
    ("DR Congo", FilterSpec(country_id="CD")),
    ("males over thirty from the DRC", FilterSpec(MALE, None, "CD", 30)),
    ("Congolese seniors", FilterSpec(None, SENIOR, "CD")),
    ("people from the Republic of the Congo", FilterSpec(country_id="CG")),
    ("Democratic Republic of the Congo", FilterSpec(country_id="CD")),
    ("Ivory Coast girls", FilterSpec(FEMALE, None, "CI")),
    ("women from Côte d'Ivoire", FilterSpec(FEMALE, None, "CI")),
    ("women from cote d’ivoire", FilterSpec(FEMALE, None, "CI")),
    ("Ivorians", FilterSpec(country_id="CI")),
    ("São Tomé and Príncipe", FilterSpec(country_id="ST")),
    ("Sao Tome", FilterSpec(country_id="ST")),
    ("Swaziland", FilterSpec(country_id="SZ")),
    ("Swazi women", FilterSpec(FEMALE, None, "SZ")),
    ("Basotho men", FilterSpec(MALE, None, "LS")),
    ("Batswana", FilterSpec(country_id="BW")),
    ("Burkinabé youth", FilterSpec(None, None, "BF", 16, 24)),
    ("Cabo Verde", FilterSpec(country_id="CV")),
    ("Sahrawi women", FilterSpec(FEMALE, None, "EH")),
    ("The Gambia", FilterSpec(country_id="GM")),
    ("Trinidad & Tobago", FilterSpec(country_id="TT")),
    ("St. Lucia", FilterSpec(country_id="LC")),
    ("Korean women", FilterSpec(FEMALE, None, "KR")),
    ("North Koreans", FilterSpec(country_id="KP")),
    ("Burma", FilterSpec(country_id="MM")),
    ("Chinese women", FilterSpec(FEMALE, None, "CN")),
    ("Senegalese men", FilterSpec(MALE, None, "SN")),
    ("Equatorial Guinean women", FilterSpec(FEMALE, None, "GQ")),
    ("people from kenya and kenyans", FilterSpec(country_id="KE")),
    # whole queries
    ("how many women in Kenya are over 30?", FilterSpec(FEMALE, None, "KE", 30)),
    ("Show me all Nigerians", FilterSpec(country_id="NG")),
    ("List male users from Ghana", FilterSpec(MALE, None, "GH")),
    ("find female profiles from Egypt aged 18-30", FilterSpec(FEMALE, None, "EG", 18, 30)),
    ("everyone in Eswatini aged 18+", FilterSpec(None, None, "SZ", 18)),
    ("women, 30+, from the U.S.A.", FilterSpec(FEMALE, None, "US", 30)),
    ("children from Kenya over 5", FilterSpec(None, CHILD, "KE", 5)),
    ("Tanzanian teenagers under 16", FilterSpec(None, TEENAGER, "TZ", None, 16)),
    ("men 40 and older in South Africa", FilterSpec(MALE, None, "ZA", 40)),
    ("  Women   from   NIGERIA  ", FilterSpec(FEMALE, None, "NG")),
    # ISO codes written as codes; those that are English words only after in/from/of or alone
    ("NG", FilterSpec(country_id="NG")),
    ("women in NG", FilterSpec(FEMALE, None, "NG")),
    ("WOMEN FROM NG", FilterSpec(FEMALE, None, "NG")),
    ("men from KE aged 30", FilterSpec(MALE, None, "KE", 30, 30)),
    ("SHOW ME WOMEN IN GHANA", FilterSpec(FEMALE, None, "GH")),
    ("people IN Kenya", FilterSpec(country_id="KE")),
    ("men from IT", FilterSpec(MALE, None, "IT")),
    ("infants in Kenya", FilterSpec(None, None, "KE", None, 1)),
    ("baby girls", FilterSpec(FEMALE, None, None, None, 1)),
    ("toddlers", FilterSpec(min_age=1, max_age=3)),
]


@pytest.mark.parametrize(("query", "meaning"), PHRASINGS)
def test_phrasing_gives_the_structured_filter(query: str, meaning: FilterSpec) -> None:
    assert canonical_filter(query) == normalize(meaning)


def test_there_are_many_phrasings() -> None:
    assert len(PHRASINGS) >= 120
    assert len({query for query, _ in PHRASINGS}) == len(PHRASINGS)


def test_the_design_examples_share_one_cache_key() -> None:
    queries = [
        "Nigerian females between ages 20 and 45",
        "Women aged 20-45 living in Nigeria",
        "females from nigeria aged 20 to 45",
        "nigerian women between 20 and 45 years old",
    ]
    structured = normalize(FilterSpec(gender=FEMALE, country_id="ng", min_age=20, max_age=45))
    assert {canonical_filter(query).describe() for query in queries} == {structured.describe()}


def test_interpretation_keeps_the_text_and_the_raw_spec() -> None:
    interpretation = interpret("Adults aged 20 to 45")
    assert interpretation.text == "Adults aged 20 to 45"
    assert interpretation.spec == FilterSpec(age_group=ADULT, min_age=20, max_age=45)
    assert interpretation.unmatched == ()


@pytest.mark.parametrize(
    ("query", "unmatched", "meaning"),
    [
        ("women named Ada", ("named", "Ada"), FilterSpec(FEMALE)),
        ("women in general", ("general",), FilterSpec(FEMALE)),  # an idiom, not a place
        ("lesbian women", ("lesbian",), FilterSpec(FEMALE)),  # not a nationality
        ("musicians from Kenya", ("musicians",), FilterSpec(country_id="KE")),
        ("tall Kenyan women", ("tall",), FilterSpec(FEMALE, None, "KE")),
        ("women 25", ("25",), FilterSpec(FEMALE)),  # a bare number is too vague
        ("women aged 20.5", ("20.5",), FilterSpec(FEMALE)),  # ages are whole years
        ("young children", ("young",), FilterSpec(age_group=CHILD)),
        ("rich men over 40 please", ("rich",), FilterSpec(MALE, min_age=40)),
        (
            "Nigerian ladies approximately 30",
            ("approximately", "30"),
            FilterSpec(FEMALE, None, "NG"),
        ),
    ],
)
def test_words_without_usable_meaning_are_reported_as_written(
    query: str, unmatched: tuple[str, ...], meaning: FilterSpec
) -> None:
    interpretation, canonical = interpret_and_normalize(query)
    assert interpretation.unmatched == unmatched
    assert canonical == normalize(meaning)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "asdf",
        "hello world",
        "???",
        "the",
        "show me",
        "people named Ada",  # "people" beside an unknown word is not "everyone"
        "everyone called Ada",
        "not",
        "25",
        "us",
    ],
)
def test_queries_without_meaning_are_uninterpretable(query: str) -> None:
    error = error_from(query)
    assert error.code is ErrorCode.UNINTERPRETABLE_QUERY
    assert error.field == "query"
    assert "a query can name a gender" in str(error)


def test_uninterpretable_message_lists_the_unknown_words() -> None:
    assert "not understood: hello, world" in str(error_from("hello world"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("children above 60", "no child is aged 60"),
        ("teenagers under 10", "no teenager is aged 10"),
        ("seniors under 30", "no senior"),
        ("kids in their 40s", "no child"),
        ("over 50 and under 20", "minAge (50) is greater than maxAge (20)"),
        ("aged 200", "at most 150"),
        ("under -5", "must not be negative"),
        ("men from Kenya and Ghana", "only one country per query"),
        ("Nigerians in Ghana", "Nigeria (NG) and Ghana (GH)"),
        ("women from Kenya or Uganda", "only one country per query"),
        ("kids and seniors", "not one continuous age range"),
        ("women not from Kenya", "negation ('not') is not supported"),
        ("non-Nigerian men", "negation ('non') is not supported"),
        ("men except Kenyans", "negation"),
        ("women other than Kenyans", "negation ('other than')"),
    ],
)
def test_contradictions_and_unsupported_queries_are_bad_user_input(
    query: str, message: str
) -> None:
    error = error_from(query)
    assert error.code is ErrorCode.BAD_USER_INPUT
    assert message in str(error)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("men from Narnia", "no country is called 'Narnia'"),
        ("women from Atlantis", "no country is called 'Atlantis'"),
        ("people from Atlantis", "no country is called 'Atlantis'"),
        ("everyone in Narnia", "no country is called 'Narnia'"),
        ("women living in Narnia over 30", "no country is called 'Narnia'"),
        ("seniors based in Wakanda", "no country is called 'Wakanda'"),
        ("men residing in Middle Earth", "no country is called 'Middle Earth'"),
        ("men from the Shire", "no country is called 'Shire'"),
        ("women from Kosovo", "no country is called 'Kosovo'"),  # XK is not ISO 3166
        ("WOMEN FROM XX", "no country is called 'XX'"),
        ("Narnian women", "'Narnian' looks like a nationality but names no country"),
        ("Atlanteans over 40", "'Atlanteans' looks like a nationality"),
        ("elbonese men", "'elbonese' looks like a nationality"),
        ("men from South America", "'South America' is a region, not a country"),
        ("South Americans", "'South Americans' is a region"),  # not "south" and the US
        ("Latin American women", "'Latin American' is a region"),
        ("African women", "'African' is a region"),
        ("women in Europe", "'Europe' is a region"),
        ("West African men", "'West African' is a region"),
        ("teenagers from the Middle East", "'the Middle East' is a region"),
    ],
)
def test_places_that_are_no_country_are_bad_user_input_naming_them(
    query: str, message: str
) -> None:
    error = error_from(query)
    assert error.code is ErrorCode.BAD_USER_INPUT
    assert error.field == "query"
    assert message in str(error)


@pytest.mark.parametrize(
    "query",
    [
        "men from Central African Republic",
        "South African women",
        "women in South Sudan",
        "Indian men",
        "Dominicans in their 30s",
        "people from the UK",
        "women from 20 to 45",
        "men in their early 30s",
        "kids in NG",
    ],
)
def test_countries_inside_region_words_still_match(query: str) -> None:
    interpretation = interpret(query)
    assert interpretation.unmatched == ()


@given(
    place=st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=3, max_size=8).map(str.title),
    template=st.sampled_from(["from {}", "in {}", "living in {}", "based in {}", "{}ian"]),
    gender=st.sampled_from(["women", "men", "people"]),
)
def test_an_unknown_place_never_widens_the_answer(place: str, template: str, gender: str) -> None:
    """Consonant-only names are no country, so each must be refused, never read as all."""
    query = f"{gender} {template.format(place)}"
    error = error_from(query)
    assert error.code is ErrorCode.BAD_USER_INPUT, query
    assert place in str(error)


def test_long_queries_are_bad_user_input() -> None:
    longest = ("women " * 100)[:MAX_QUERY_LENGTH]
    assert canonical_filter(longest) == CanonicalFilter(gender=FEMALE)
    error = error_from(longest + "x")
    assert error.code is ErrorCode.BAD_USER_INPUT
    assert "at most 500" in str(error)


# --- Properties ---------------------------------------------------------------------------------

GENDER_WORDS = {
    MALE: ["men", "males", "male", "guys", "gentlemen"],
    FEMALE: ["women", "females", "female", "ladies", "girls"],
    None: ["people", "persons", "everyone", "men and women", "male and female", "profiles of"],
}
COUNTRY_TEMPLATES = ["from {}", "in {}", "living in {}", "based in {}", "residing in {}", "{}"]
DEMONYMS = {"NG": "Nigerian", "KE": "Kenyan", "GH": "Ghanaian", "US": "American", "GB": "British"}


@st.composite
def age_phrases(draw: st.DrawFn) -> tuple[str, int | None, int | None]:
    low = draw(st.integers(min_value=0, max_value=150))
    high = draw(st.integers(min_value=low, max_value=150))
    ranges = [
        "aged {} to {}",
        "between {} and {}",
        "between ages {} and {}",
        "{}-{}",
        "{}–{}",
        "from {} to {}",
        "aged {}-{}",
        "{} to {} years old",
    ]
    choice = draw(st.sampled_from(["range", "min", "max", "exact", "none"]))
    if choice == "range":
        return draw(st.sampled_from(ranges)).format(low, high), low, high
    if choice == "min":
        templates = ["above {}", "over {}", "{}+", "{} and older", "at least {}", "{} or over"]
        return draw(st.sampled_from(templates)).format(low), low, None
    if choice == "max":
        templates = ["under {}", "below {}", "{} or younger", "at most {}", "younger than {}"]
        return draw(st.sampled_from(templates)).format(high), None, high
    if choice == "exact":
        templates = ["aged {}", "{} years old", "{}-year-old", "{} yo"]
        return draw(st.sampled_from(templates)).format(low), low, low
    return "", None, None


@given(
    gender=st.sampled_from([MALE, FEMALE, None]),
    code=st.none() | st.sampled_from(sorted(COUNTRY_NAMES)),
    ages=age_phrases(),
    order=st.permutations(range(3)),
    data=st.data(),
)
def test_templated_english_means_the_structured_filter(
    gender: Gender | None,
    code: str | None,
    ages: tuple[str, int | None, int | None],
    order: list[int],
    data: st.DataObject,
) -> None:
    age_phrase, low, high = ages
    gender_phrase = data.draw(st.sampled_from(GENDER_WORDS[gender]))
    country_phrase = ""
    if code is not None:
        name = data.draw(st.sampled_from([COUNTRY_NAMES[code], DEMONYMS.get(code, "")]))
        template = data.draw(st.sampled_from(COUNTRY_TEMPLATES)) if code not in DEMONYMS else "{}"
        country_phrase = template.format(name or COUNTRY_NAMES[code])
    parts = [gender_phrase, country_phrase, age_phrase]
    query = " ".join(parts[i] for i in order)
    expected = normalize(FilterSpec(gender=gender, country_id=code, min_age=low, max_age=high))
    interpretation, canonical = interpret_and_normalize(query)
    assert canonical == expected, query
    assert interpretation.unmatched == ()


def _outcome(text: str) -> tuple[Interpretation, CanonicalFilter] | ServiceError:
    try:
        return interpret_and_normalize(text)
    except ServiceError as error:
        return error


@given(st.text(max_size=MAX_QUERY_LENGTH))
def test_arbitrary_text_only_ever_raises_service_errors(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, ServiceError):
        assert outcome.code in {ErrorCode.BAD_USER_INPUT, ErrorCode.UNINTERPRETABLE_QUERY}
    else:
        written = unicodedata.normalize("NFKC", text)
        assert all(word in written for word in outcome[0].unmatched)


_WORDS_TEXT = (
    "women men people from in aged over under between and to 20 45 30s - + Nigeria Kenyan "
    "the US us young old older teens not South Sudan years old y o twenty-five early mid"
)
WORDS = _WORDS_TEXT.split()


@given(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join) | st.text(max_size=60))
def test_interpretation_is_deterministic(text: str) -> None:
    first, second = _outcome(text), _outcome(text)
    if isinstance(first, ServiceError):
        assert isinstance(second, ServiceError)
        assert (first.code, str(first), first.field) == (second.code, str(second), second.field)
    else:
        assert first == second
