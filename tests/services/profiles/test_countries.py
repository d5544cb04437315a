import pytest

from services.profiles.countries import (
    COUNTRY_NAMES,
    COUNTRY_PHRASES,
    country_code_for,
    country_name,
    is_country_code,
    match_country,
    match_region,
    phrase_key,
)

# The 249 officially assigned ISO 3166-1 alpha-2 codes, typed out independently of the table.
_ISO_3166_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
"""
ISO_3166_CODES = frozenset(_ISO_3166_TEXT.split())


def test_the_table_holds_every_iso_code_and_nothing_else() -> None:
    assert len(ISO_3166_CODES) == 249
    assert set(COUNTRY_NAMES) == ISO_3166_CODES
    assert len(set(COUNTRY_NAMES.values())) == 249


def test_kosovo_is_not_an_iso_code() -> None:
    assert not is_country_code("XK")
    assert country_name("XK") is None


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("AO", "Angola"),
        ("CD", "DR Congo"),
        ("CG", "Republic of the Congo"),
        ("CI", "Côte d'Ivoire"),
        ("CV", "Cape Verde"),
        ("GB", "United Kingdom"),
        ("US", "United States"),
        ("ST", "São Tomé and Príncipe"),
        ("SZ", "Eswatini"),
        ("TZ", "Tanzania"),
        ("GM", "Gambia"),
        ("EH", "Western Sahara"),
        ("GW", "Guinea-Bissau"),
        ("GQ", "Equatorial Guinea"),
        ("CF", "Central African Republic"),
        ("NG", "Nigeria"),
        ("NE", "Niger"),
        ("SS", "South Sudan"),
        ("RU", "Russia"),
        ("KR", "South Korea"),
        ("IR", "Iran"),
        ("VN", "Vietnam"),
        ("BO", "Bolivia"),
        ("SY", "Syria"),
        ("LA", "Laos"),
        ("MD", "Moldova"),
    ],
)
def test_names_match_the_demo_data(code: str, name: str) -> None:
    assert country_name(code) == name
    assert is_country_code(code)


def test_codes_are_expected_in_upper_case() -> None:
    assert is_country_code("NG")
    assert not is_country_code("ng")
    assert not is_country_code("")
    assert country_name("ZZ") is None


@pytest.mark.parametrize("code", sorted(ISO_3166_CODES))
def test_every_short_name_names_its_own_country(code: str) -> None:
    name = country_name(code)
    assert name is not None
    assert country_code_for(name) == code
    assert country_code_for(name.upper()) == code


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("USA", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("us", "US"),
        ("America", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Britain", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("Northern Ireland", "GB"),
        ("Ireland", "IE"),
        ("DR Congo", "CD"),
        ("D.R. Congo", "CD"),
        ("DRC", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo-Kinshasa", "CD"),
        ("Zaire", "CD"),
        ("Congo", "CD"),
        ("Congo-Brazzaville", "CG"),
        ("Republic of Congo", "CG"),
        ("Ivory Coast", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("COTE D'IVOIRE", "CI"),
        ("Swaziland", "SZ"),
        ("Cabo Verde", "CV"),
        ("Burma", "MM"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Netherlands", "NL"),
        ("UAE", "AE"),
        ("Korea Republic", "KR"),
        ("Republic of Korea", "KR"),
        ("North Korea", "KP"),
        ("DPRK", "KP"),
        ("Russian Federation", "RU"),
        ("Sao Tome", "ST"),
        ("Sao Tome and Principe", "ST"),
        ("Sao Tome & Principe", "ST"),
        ("East Timor", "TL"),
        ("Timor Leste", "TL"),
        ("Vatican", "VA"),
        ("Holy See", "VA"),
        ("The Gambia", "GM"),
        ("Turkiye", "TR"),
        ("St Lucia", "LC"),
        ("St. Kitts and Nevis", "KN"),
        ("Trinidad & Tobago", "TT"),
        ("Guinea Bissau", "GW"),
        ("Tanzania, United Republic of", "TZ"),
        ("Iran, Islamic Republic of", "IR"),
        ("Persia", "IR"),
        ("Ceylon", "LK"),
        ("Macedonia", "MK"),
        ("Kosovo", None),
        ("Atlantis", None),
    ],
)
def test_alternative_names(phrase: str, code: str | None) -> None:
    assert country_code_for(phrase) == code


@pytest.mark.parametrize(
    ("demonym", "code"),
    [
        ("Nigerian", "NG"),
        ("Nigerians", "NG"),
        ("Nigerien", "NE"),
        ("Nigeriens", "NE"),
        ("Kenyan", "KE"),
        ("Kenyans", "KE"),
        ("Ghanaian", "GH"),
        ("Ghanaians", "GH"),
        ("American", "US"),
        ("Americans", "US"),
        ("British", "GB"),
        ("Brits", "GB"),
        ("English", "GB"),
        ("Scottish", "GB"),
        ("Scots", "GB"),
        ("Welsh", "GB"),
        ("Northern Irish", "GB"),
        ("Irish", "IE"),
        ("Congolese", "CD"),
        ("Ivorian", "CI"),
        ("Ivorians", "CI"),
        ("South African", "ZA"),
        ("South Africans", "ZA"),
        ("Egyptian", "EG"),
        ("Ethiopians", "ET"),
        ("Beninese", "BJ"),
        ("Ugandan", "UG"),
        ("Tanzanians", "TZ"),
        ("Cameroonian", "CM"),
        ("Senegalese", "SN"),
        ("French", "FR"),
        ("Indian", "IN"),
        ("Malian", "ML"),
        ("Rwandan", "RW"),
        ("Sudanese", "SD"),
        ("South Sudanese", "SS"),
        ("Mozambican", "MZ"),
        ("Moroccan", "MA"),
        ("Angolan", "AO"),
        ("Malagasy", "MG"),
        ("Zimbabwean", "ZW"),
        ("Tunisian", "TN"),
        ("Brazilians", "BR"),
        ("Zambian", "ZM"),
        ("German", "DE"),
        ("Germans", "DE"),
        ("Chinese", "CN"),
        ("Australians", "AU"),
        ("Japanese", "JP"),
        ("Mauritanian", "MR"),
        ("Namibian", "NA"),
        ("Somali", "SO"),
        ("Somalis", "SO"),
        ("Mauritian", "MU"),
        ("Motswana", "BW"),
        ("Batswana", "BW"),
        ("Botswanan", "BW"),
        ("Djiboutian", "DJ"),
        ("Togolese", "TG"),
        ("Malawian", "MW"),
        ("Sahrawi", "EH"),
        ("Sahrawis", "EH"),
        ("Burundian", "BI"),
        ("Central African", "CF"),
        ("Algerian", "DZ"),
        ("Guinean", "GN"),
        ("Eritrean", "ER"),
        ("Liberian", "LR"),
        ("Bissau-Guinean", "GW"),
        ("Sierra Leonean", "SL"),
        ("Sierra Leoneans", "SL"),
        ("Comorian", "KM"),
        ("Seychellois", "SC"),
        ("Cape Verdean", "CV"),
        ("Gabonese", "GA"),
        ("Swazi", "SZ"),
        ("Emaswati", "SZ"),
        ("Basotho", "LS"),
        ("Mosotho", "LS"),
        ("Gambian", "GM"),
        ("Chadian", "TD"),
        ("Equatoguinean", "GQ"),
        ("Equatorial Guinean", "GQ"),
        ("Burkinabe", "BF"),
        ("Burkinabé", "BF"),
        ("Libyan", "LY"),
        ("Canadian", "CA"),
        ("Mexicans", "MX"),
        ("Filipino", "PH"),
        ("Filipinos", "PH"),
        ("Swiss", "CH"),
        ("Dutch", "NL"),
        ("Czechs", "CZ"),
        ("Korean", "KR"),
        ("North Korean", "KP"),
        ("Dominican", "DO"),
        ("Samoan", "WS"),
        ("American Samoan", "AS"),
    ],
)
def test_demonyms_and_their_plurals(demonym: str, code: str) -> None:
    assert country_code_for(demonym) == code


@pytest.mark.parametrize(
    "invariant", ["Chineses", "Senegaleses", "Swisss", "Frenchs", "Britishs", "Malagasys"]
)
def test_demonyms_that_name_the_people_get_no_s_plural(invariant: str) -> None:
    assert country_code_for(invariant) is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Côte d’Ivoire", "cote divoire"),
        ("U.S.A.", "usa"),
        ("Guinea-Bissau", "guinea bissau"),
        ("Trinidad & Tobago", "trinidad and tobago"),
        ("  São   Tomé ", "sao tome"),
        ("Cocos (Keeling) Islands", "cocos keeling islands"),
        ("ÅLAND", "aland"),
    ],
)
def test_phrase_key_folds_case_accents_and_punctuation(text: str, key: str) -> None:
    assert phrase_key(text) == key


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("south sudan", (2, "SS")),
        ("sudan", (1, "SD")),
        ("south sudanese men", (2, "SS")),
        ("niger", (1, "NE")),
        ("nigeria", (1, "NG")),
        ("nigerian women", (1, "NG")),
        ("nigeriens", (1, "NE")),
        ("guinea", (1, "GN")),
        ("equatorial guinea", (2, "GQ")),
        ("guinea bissau", (2, "GW")),
        ("papua new guinea", (3, "PG")),
        ("papua new guineans", (3, "PG")),
        ("isle of man", (3, "IM")),
        ("american samoa", (2, "AS")),
        ("american women", (1, "US")),
        ("british virgin islands", (3, "VG")),
        ("british men", (1, "GB")),
        ("democratic republic of the congo", (5, "CD")),
        ("republic of the congo", (4, "CG")),
        ("northern ireland", (2, "GB")),
        ("ireland", (1, "IE")),
        ("south africa", (2, "ZA")),
        ("central african republic", (3, "CF")),
        ("central african", (2, "CF")),
        ("dominican republic", (2, "DO")),
        ("dominica", (1, "DM")),
        ("united states minor outlying islands", (5, "UM")),
        ("united states", (2, "US")),
        ("south georgia", (2, "GS")),
        ("georgia", (1, "GE")),
        ("women", None),
        ("south", None),
    ],
)
def test_match_country_takes_the_longest_phrase(
    words: str, expected: tuple[int, str] | None
) -> None:
    assert match_country(words.split(), 0) == expected


def test_match_country_starts_where_asked() -> None:
    assert match_country(["women", "from", "south", "sudan"], 2) == (4, "SS")
    assert match_country(["women", "from", "south", "sudan"], 1) is None


def test_regions_are_not_countries() -> None:
    assert match_region(["south", "america"], 0) == 2
    assert match_region(["latin", "american", "women"], 0) == 2
    assert match_region(["america"], 0) is None


def test_every_phrase_names_a_table_code() -> None:
    assert set(COUNTRY_PHRASES.values()) <= set(COUNTRY_NAMES)
    assert all(key == phrase_key(key) for key in COUNTRY_PHRASES)
