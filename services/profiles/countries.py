"""The ISO 3166-1 alpha-2 table and the English words that name each country.

`COUNTRY_NAMES` holds all 249 officially assigned codes with a short English name (the names the
demo data uses: "DR Congo", "Côte d'Ivoire", ...). Kosovo's XK is user-assigned, not ISO, so it
is absent. `COUNTRY_PHRASES` maps every name, alternative name and demonym (singular and plural),
as folded by `phrase_key`, to its code; the plain-English parser matches it longest-first with
`match_country`.

Ambiguous words are given to the far more common reading, so the parser stays deterministic:
"Congo" and "Congolese" mean CD (about 100 million people, against 6 million in CG; CG is
reached by "Republic of the Congo", "Congo-Brazzaville", ...), "Korea"/"Korean" mean KR,
"Dominican" means DO (not Dominica), "Samoan" means WS, "Guinean" means GN. "us" is also a
pronoun ("show us ..."): callers decide from context whether it names the United States.
"""

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Final

# (code, short name, alternative names, demonyms). Demonyms are given in singular or adjective
# form; regular plurals ("Kenyans") are added by `_plurals`.
_COUNTRIES: Final[tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]] = (
    ("AD", "Andorra", ("Principality of Andorra",), ("Andorran",)),
    ("AE", "United Arab Emirates", ("UAE", "U.A.E.", "Emirates"), ("Emirati",)),
    ("AF", "Afghanistan", ("Islamic Republic of Afghanistan",), ("Afghan",)),
    ("AG", "Antigua and Barbuda", ("Antigua",), ("Antiguan", "Barbudan")),
    ("AI", "Anguilla", (), ("Anguillan",)),
    ("AL", "Albania", ("Republic of Albania",), ("Albanian",)),
    ("AM", "Armenia", ("Republic of Armenia",), ("Armenian",)),
    ("AO", "Angola", ("Republic of Angola",), ("Angolan",)),
    ("AQ", "Antarctica", (), ()),
    ("AR", "Argentina", ("Argentine Republic",), ("Argentine", "Argentinian", "Argentinean")),
    ("AS", "American Samoa", (), ("American Samoan",)),
    ("AT", "Austria", ("Republic of Austria",), ("Austrian",)),
    ("AU", "Australia", ("Commonwealth of Australia",), ("Australian", "Aussie")),
    ("AW", "Aruba", (), ("Aruban",)),
    ("AX", "Åland Islands", ("Åland",), ("Ålander",)),
    ("AZ", "Azerbaijan", ("Republic of Azerbaijan",), ("Azerbaijani", "Azeri")),
    ("BA", "Bosnia and Herzegovina", ("Bosnia", "Bosnia-Herzegovina"), ("Bosnian",)),
    ("BB", "Barbados", (), ("Barbadian", "Bajan")),
    ("BD", "Bangladesh", ("People's Republic of Bangladesh",), ("Bangladeshi",)),
    ("BE", "Belgium", ("Kingdom of Belgium",), ("Belgian",)),
    ("BF", "Burkina Faso", ("Burkina", "Upper Volta"), ("Burkinabe", "Burkinabé")),
    ("BG", "Bulgaria", ("Republic of Bulgaria",), ("Bulgarian",)),
    ("BH", "Bahrain", ("Kingdom of Bahrain",), ("Bahraini",)),
    ("BI", "Burundi", ("Republic of Burundi",), ("Burundian",)),
    ("BJ", "Benin", ("Republic of Benin", "Dahomey"), ("Beninese", "Beninois")),
    ("BL", "Saint Barthélemy", ("St Barts", "St Barths", "Saint Barts"), ()),
    ("BM", "Bermuda", (), ("Bermudian",)),
    ("BN", "Brunei", ("Brunei Darussalam",), ("Bruneian",)),
    (
        "BO",
        "Bolivia",
        ("Plurinational State of Bolivia", "Bolivia, Plurinational State of"),
        ("Bolivian",),
    ),
    ("BQ", "Caribbean Netherlands", ("Bonaire, Sint Eustatius and Saba", "Bonaire"), ()),
    ("BR", "Brazil", ("Federative Republic of Brazil", "Brasil"), ("Brazilian",)),
    ("BS", "Bahamas", ("The Bahamas", "Commonwealth of The Bahamas"), ("Bahamian",)),
    ("BT", "Bhutan", ("Kingdom of Bhutan",), ("Bhutanese",)),
    ("BV", "Bouvet Island", (), ()),
    ("BW", "Botswana", ("Republic of Botswana",), ("Motswana", "Batswana", "Botswanan")),
    ("BY", "Belarus", ("Republic of Belarus", "Byelorussia", "Belorussia"), ("Belarusian",)),
    ("BZ", "Belize", (), ("Belizean",)),
    ("CA", "Canada", (), ("Canadian",)),
    ("CC", "Cocos (Keeling) Islands", ("Cocos Islands", "Keeling Islands"), ()),
    (
        "CD",
        "DR Congo",
        (
            "Democratic Republic of the Congo",
            "Democratic Republic of Congo",
            "DRC",
            "D.R.C.",
            "D.R. Congo",
            "Congo-Kinshasa",
            "Congo Kinshasa",
            "Zaire",
            "Congo",
            "Congo, the Democratic Republic of the",
            "Congo, Democratic Republic of the",
        ),
        ("Congolese",),
    ),
    ("CF", "Central African Republic", ("Centrafrique",), ("Central African",)),
    (
        "CG",
        "Republic of the Congo",
        (
            "Republic of Congo",
            "Congo Republic",
            "Congo-Brazzaville",
            "Congo Brazzaville",
            "Congo, Republic of the",
        ),
        (),
    ),
    ("CH", "Switzerland", ("Swiss Confederation",), ("Swiss",)),
    (
        "CI",
        "Côte d'Ivoire",
        ("Ivory Coast", "Cote d Ivoire", "Republic of Côte d'Ivoire"),
        ("Ivorian",),
    ),
    ("CK", "Cook Islands", (), ("Cook Islander",)),
    ("CL", "Chile", ("Republic of Chile",), ("Chilean",)),
    ("CM", "Cameroon", ("Republic of Cameroon", "Cameroun"), ("Cameroonian",)),
    ("CN", "China", ("People's Republic of China", "PRC", "Mainland China"), ("Chinese",)),
    ("CO", "Colombia", ("Republic of Colombia",), ("Colombian",)),
    ("CR", "Costa Rica", ("Republic of Costa Rica",), ("Costa Rican",)),
    ("CU", "Cuba", ("Republic of Cuba",), ("Cuban",)),
    (
        "CV",
        "Cape Verde",
        ("Cabo Verde", "Republic of Cabo Verde"),
        ("Cape Verdean", "Cabo Verdean"),
    ),
    ("CW", "Curaçao", (), ("Curaçaoan",)),
    ("CX", "Christmas Island", (), ()),
    ("CY", "Cyprus", ("Republic of Cyprus",), ("Cypriot",)),
    ("CZ", "Czechia", ("Czech Republic",), ("Czech",)),
    ("DE", "Germany", ("Federal Republic of Germany", "Deutschland"), ("German",)),
    ("DJ", "Djibouti", ("Republic of Djibouti",), ("Djiboutian",)),
    ("DK", "Denmark", ("Kingdom of Denmark",), ("Danish", "Dane")),
    ("DM", "Dominica", ("Commonwealth of Dominica",), ()),
    ("DO", "Dominican Republic", (), ("Dominican",)),
    ("DZ", "Algeria", ("People's Democratic Republic of Algeria",), ("Algerian",)),
    ("EC", "Ecuador", ("Republic of Ecuador",), ("Ecuadorian", "Ecuadorean")),
    ("EE", "Estonia", ("Republic of Estonia",), ("Estonian",)),
    ("EG", "Egypt", ("Arab Republic of Egypt",), ("Egyptian",)),
    (
        "EH",
        "Western Sahara",
        ("Sahrawi Arab Democratic Republic", "Sahrawi Republic"),
        ("Sahrawi", "Saharawi", "Sahrawian"),
    ),
    ("ER", "Eritrea", ("State of Eritrea",), ("Eritrean",)),
    ("ES", "Spain", ("Kingdom of Spain", "España"), ("Spanish", "Spaniard")),
    ("ET", "Ethiopia", ("Federal Democratic Republic of Ethiopia",), ("Ethiopian",)),
    ("FI", "Finland", ("Republic of Finland",), ("Finnish", "Finn")),
    ("FJ", "Fiji", ("Republic of Fiji",), ("Fijian",)),
    (
        "FK",
        "Falkland Islands",
        ("Falklands", "Malvinas", "Falkland Islands (Malvinas)"),
        ("Falkland Islander",),
    ),
    (
        "FM",
        "Micronesia",
        ("Federated States of Micronesia", "Micronesia, Federated States of"),
        ("Micronesian",),
    ),
    ("FO", "Faroe Islands", ("Faroes", "Faeroe Islands"), ("Faroese",)),
    ("FR", "France", ("French Republic",), ("French",)),
    ("GA", "Gabon", ("Gabonese Republic",), ("Gabonese",)),
    (
        "GB",
        "United Kingdom",
        (
            "UK",
            "U.K.",
            "United Kingdom of Great Britain and Northern Ireland",
            "Great Britain",
            "Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
        ),
        ("British", "Brit", "English", "Scottish", "Scot", "Welsh", "Northern Irish"),
    ),
    ("GD", "Grenada", (), ("Grenadian",)),
    ("GE", "Georgia", ("Sakartvelo",), ("Georgian",)),
    ("GF", "French Guiana", (), ("French Guianese",)),
    ("GG", "Guernsey", ("Bailiwick of Guernsey",), ()),
    ("GH", "Ghana", ("Republic of Ghana",), ("Ghanaian",)),
    ("GI", "Gibraltar", (), ("Gibraltarian",)),
    ("GL", "Greenland", (), ("Greenlander", "Greenlandic")),
    ("GM", "Gambia", ("The Gambia", "Republic of The Gambia"), ("Gambian",)),
    ("GN", "Guinea", ("Republic of Guinea", "Guinea-Conakry", "Guinea Conakry"), ("Guinean",)),
    ("GP", "Guadeloupe", (), ("Guadeloupean",)),
    (
        "GQ",
        "Equatorial Guinea",
        ("Republic of Equatorial Guinea",),
        ("Equatoguinean", "Equatorial Guinean"),
    ),
    ("GR", "Greece", ("Hellenic Republic", "Hellas"), ("Greek",)),
    ("GS", "South Georgia and the South Sandwich Islands", ("South Georgia",), ()),
    ("GT", "Guatemala", ("Republic of Guatemala",), ("Guatemalan",)),
    ("GU", "Guam", (), ("Guamanian",)),
    ("GW", "Guinea-Bissau", ("Republic of Guinea-Bissau",), ("Bissau-Guinean",)),
    ("GY", "Guyana", ("Co-operative Republic of Guyana",), ("Guyanese",)),
    ("HK", "Hong Kong", (), ("Hong Konger", "Hongkonger")),
    ("HM", "Heard Island and McDonald Islands", ("Heard and McDonald Islands",), ()),
    ("HN", "Honduras", ("Republic of Honduras",), ("Honduran",)),
    ("HR", "Croatia", ("Republic of Croatia", "Hrvatska"), ("Croatian", "Croat")),
    ("HT", "Haiti", ("Republic of Haiti",), ("Haitian",)),
    ("HU", "Hungary", (), ("Hungarian",)),
    ("ID", "Indonesia", ("Republic of Indonesia",), ("Indonesian",)),
    ("IE", "Ireland", ("Republic of Ireland", "Eire", "Éire"), ("Irish",)),
    ("IL", "Israel", ("State of Israel",), ("Israeli",)),
    ("IM", "Isle of Man", (), ("Manx",)),
    ("IN", "India", ("Republic of India", "Bharat"), ("Indian",)),
    ("IO", "British Indian Ocean Territory", ("Chagos Islands",), ()),
    ("IQ", "Iraq", ("Republic of Iraq",), ("Iraqi",)),
    (
        "IR",
        "Iran",
        ("Islamic Republic of Iran", "Iran, Islamic Republic of", "Persia"),
        ("Iranian", "Persian"),
    ),
    ("IS", "Iceland", (), ("Icelandic", "Icelander")),
    ("IT", "Italy", ("Italian Republic",), ("Italian",)),
    ("JE", "Jersey", ("Bailiwick of Jersey",), ()),
    ("JM", "Jamaica", (), ("Jamaican",)),
    ("JO", "Jordan", ("Hashemite Kingdom of Jordan",), ("Jordanian",)),
    ("JP", "Japan", (), ("Japanese",)),
    ("KE", "Kenya", ("Republic of Kenya",), ("Kenyan",)),
    ("KG", "Kyrgyzstan", ("Kyrgyz Republic", "Kirghizia"), ("Kyrgyz", "Kyrgyzstani")),
    ("KH", "Cambodia", ("Kingdom of Cambodia", "Kampuchea"), ("Cambodian", "Khmer")),
    ("KI", "Kiribati", (), ("I-Kiribati",)),
    ("KM", "Comoros", ("Union of the Comoros", "Comoro Islands"), ("Comorian", "Comoran")),
    (
        "KN",
        "Saint Kitts and Nevis",
        ("Saint Kitts", "St Kitts", "Saint Christopher and Nevis"),
        ("Kittitian", "Nevisian"),
    ),
    (
        "KP",
        "North Korea",
        (
            "Democratic People's Republic of Korea",
            "DPRK",
            "D.P.R.K.",
            "Korea, Democratic People's Republic of",
        ),
        ("North Korean",),
    ),
    (
        "KR",
        "South Korea",
        ("Republic of Korea", "Korea Republic", "Korea, Republic of", "Korea", "ROK"),
        ("South Korean", "Korean"),
    ),
    ("KW", "Kuwait", ("State of Kuwait",), ("Kuwaiti",)),
    ("KY", "Cayman Islands", ("Caymans",), ("Caymanian",)),
    ("KZ", "Kazakhstan", ("Republic of Kazakhstan",), ("Kazakh", "Kazakhstani")),
    ("LA", "Laos", ("Lao People's Democratic Republic", "Lao PDR", "Lao"), ("Laotian",)),
    ("LB", "Lebanon", ("Lebanese Republic",), ("Lebanese",)),
    ("LC", "Saint Lucia", (), ("Saint Lucian",)),
    ("LI", "Liechtenstein", ("Principality of Liechtenstein",), ("Liechtensteiner",)),
    ("LK", "Sri Lanka", ("Democratic Socialist Republic of Sri Lanka", "Ceylon"), ("Sri Lankan",)),
    ("LR", "Liberia", ("Republic of Liberia",), ("Liberian",)),
    ("LS", "Lesotho", ("Kingdom of Lesotho",), ("Mosotho", "Basotho")),
    ("LT", "Lithuania", ("Republic of Lithuania",), ("Lithuanian",)),
    ("LU", "Luxembourg", ("Grand Duchy of Luxembourg",), ("Luxembourger", "Luxembourgish")),
    ("LV", "Latvia", ("Republic of Latvia",), ("Latvian",)),
    ("LY", "Libya", ("State of Libya",), ("Libyan",)),
    ("MA", "Morocco", ("Kingdom of Morocco",), ("Moroccan",)),
    ("MC", "Monaco", ("Principality of Monaco",), ("Monegasque", "Monacan")),
    ("MD", "Moldova", ("Republic of Moldova", "Moldova, Republic of"), ("Moldovan",)),
    ("ME", "Montenegro", (), ("Montenegrin",)),
    ("MF", "Saint Martin", ("Saint Martin (French part)", "Collectivity of Saint Martin"), ()),
    ("MG", "Madagascar", ("Republic of Madagascar",), ("Malagasy",)),
    ("MH", "Marshall Islands", ("Republic of the Marshall Islands",), ("Marshallese",)),
    ("MK", "North Macedonia", ("Republic of North Macedonia", "Macedonia"), ("Macedonian",)),
    ("ML", "Mali", ("Republic of Mali",), ("Malian",)),
    ("MM", "Myanmar", ("Burma", "Republic of the Union of Myanmar"), ("Burmese",)),
    ("MN", "Mongolia", (), ("Mongolian",)),
    ("MO", "Macau", ("Macao",), ("Macanese",)),
    ("MP", "Northern Mariana Islands", ("Northern Marianas",), ()),
    ("MQ", "Martinique", (), ("Martiniquais",)),
    ("MR", "Mauritania", ("Islamic Republic of Mauritania",), ("Mauritanian",)),
    ("MS", "Montserrat", (), ("Montserratian",)),
    ("MT", "Malta", ("Republic of Malta",), ("Maltese",)),
    ("MU", "Mauritius", ("Republic of Mauritius",), ("Mauritian",)),
    ("MV", "Maldives", ("Republic of Maldives",), ("Maldivian",)),
    ("MW", "Malawi", ("Republic of Malawi",), ("Malawian",)),
    ("MX", "Mexico", ("United Mexican States",), ("Mexican",)),
    ("MY", "Malaysia", (), ("Malaysian",)),
    ("MZ", "Mozambique", ("Republic of Mozambique",), ("Mozambican",)),
    ("NA", "Namibia", ("Republic of Namibia",), ("Namibian",)),
    ("NC", "New Caledonia", (), ("New Caledonian",)),
    ("NE", "Niger", ("Republic of the Niger", "Republic of Niger"), ("Nigerien",)),
    ("NF", "Norfolk Island", (), ()),
    ("NG", "Nigeria", ("Federal Republic of Nigeria",), ("Nigerian",)),
    ("NI", "Nicaragua", ("Republic of Nicaragua",), ("Nicaraguan",)),
    ("NL", "Netherlands", ("The Netherlands", "Holland", "Kingdom of the Netherlands"), ("Dutch",)),
    ("NO", "Norway", ("Kingdom of Norway",), ("Norwegian",)),
    ("NP", "Nepal", (), ("Nepali", "Nepalese")),
    ("NR", "Nauru", ("Republic of Nauru",), ("Nauruan",)),
    ("NU", "Niue", (), ("Niuean",)),
    ("NZ", "New Zealand", ("Aotearoa",), ("New Zealander",)),
    ("OM", "Oman", ("Sultanate of Oman",), ("Omani",)),
    ("PA", "Panama", ("Republic of Panama",), ("Panamanian",)),
    ("PE", "Peru", ("Republic of Peru",), ("Peruvian",)),
    ("PF", "French Polynesia", ("Tahiti",), ("French Polynesian", "Tahitian")),
    ("PG", "Papua New Guinea", ("PNG", "New Guinea"), ("Papua New Guinean",)),
    (
        "PH",
        "Philippines",
        ("Republic of the Philippines", "Phillipines", "Philipines"),
        ("Filipino", "Filipina", "Philippine"),
    ),
    ("PK", "Pakistan", ("Islamic Republic of Pakistan",), ("Pakistani",)),
    ("PL", "Poland", ("Republic of Poland",), ("Polish", "Pole")),
    ("PM", "Saint Pierre and Miquelon", (), ()),
    ("PN", "Pitcairn Islands", ("Pitcairn",), ("Pitcairn Islander",)),
    ("PR", "Puerto Rico", (), ("Puerto Rican",)),
    (
        "PS",
        "Palestine",
        ("State of Palestine", "Palestinian Territories", "Palestine, State of"),
        ("Palestinian",),
    ),
    ("PT", "Portugal", ("Portuguese Republic",), ("Portuguese",)),
    ("PW", "Palau", ("Republic of Palau",), ("Palauan",)),
    ("PY", "Paraguay", ("Republic of Paraguay",), ("Paraguayan",)),
    ("QA", "Qatar", ("State of Qatar",), ("Qatari",)),
    ("RE", "Réunion", (), ("Réunionese",)),
    ("RO", "Romania", (), ("Romanian",)),
    ("RS", "Serbia", ("Republic of Serbia",), ("Serbian", "Serb")),
    ("RU", "Russia", ("Russian Federation",), ("Russian",)),
    ("RW", "Rwanda", ("Republic of Rwanda",), ("Rwandan", "Rwandese")),
    ("SA", "Saudi Arabia", ("Kingdom of Saudi Arabia", "KSA"), ("Saudi", "Saudi Arabian")),
    ("SB", "Solomon Islands", ("Solomons",), ("Solomon Islander",)),
    ("SC", "Seychelles", ("Republic of Seychelles",), ("Seychellois",)),
    ("SD", "Sudan", ("Republic of the Sudan", "Republic of Sudan", "The Sudan"), ("Sudanese",)),
    ("SE", "Sweden", ("Kingdom of Sweden",), ("Swedish", "Swede")),
    ("SG", "Singapore", ("Republic of Singapore",), ("Singaporean",)),
    (
        "SH",
        "Saint Helena, Ascension and Tristan da Cunha",
        ("Saint Helena", "Ascension Island", "Tristan da Cunha"),
        ("Saint Helenian",),
    ),
    ("SI", "Slovenia", ("Republic of Slovenia",), ("Slovenian", "Slovene")),
    ("SJ", "Svalbard and Jan Mayen", ("Svalbard", "Jan Mayen"), ()),
    ("SK", "Slovakia", ("Slovak Republic",), ("Slovak", "Slovakian")),
    ("SL", "Sierra Leone", ("Republic of Sierra Leone",), ("Sierra Leonean",)),
    ("SM", "San Marino", ("Republic of San Marino",), ("Sammarinese",)),
    ("SN", "Senegal", ("Republic of Senegal",), ("Senegalese",)),
    ("SO", "Somalia", ("Federal Republic of Somalia",), ("Somali", "Somalian")),
    ("SR", "Suriname", ("Surinam", "Republic of Suriname"), ("Surinamese", "Surinamer")),
    ("SS", "South Sudan", ("Republic of South Sudan",), ("South Sudanese",)),
    (
        "ST",
        "São Tomé and Príncipe",
        ("São Tomé", "Democratic Republic of São Tomé and Príncipe"),
        ("Santomean", "São Toméan"),
    ),
    ("SV", "El Salvador", ("Republic of El Salvador",), ("Salvadoran", "Salvadorean")),
    ("SX", "Sint Maarten", ("Sint Maarten (Dutch part)",), ()),
    ("SY", "Syria", ("Syrian Arab Republic",), ("Syrian",)),
    ("SZ", "Eswatini", ("Swaziland", "Kingdom of Eswatini"), ("Swazi", "Emaswati", "Liswati")),
    ("TC", "Turks and Caicos Islands", ("Turks and Caicos",), ()),
    ("TD", "Chad", ("Republic of Chad",), ("Chadian",)),
    ("TF", "French Southern Territories", ("French Southern and Antarctic Lands",), ()),
    ("TG", "Togo", ("Togolese Republic",), ("Togolese",)),
    ("TH", "Thailand", ("Kingdom of Thailand", "Siam"), ("Thai",)),
    ("TJ", "Tajikistan", ("Republic of Tajikistan",), ("Tajik", "Tajikistani")),
    ("TK", "Tokelau", (), ("Tokelauan",)),
    (
        "TL",
        "Timor-Leste",
        ("East Timor", "Democratic Republic of Timor-Leste"),
        ("Timorese", "East Timorese"),
    ),
    ("TM", "Turkmenistan", (), ("Turkmen",)),
    ("TN", "Tunisia", ("Republic of Tunisia",), ("Tunisian",)),
    ("TO", "Tonga", ("Kingdom of Tonga",), ("Tongan",)),
    ("TR", "Turkey", ("Türkiye", "Republic of Türkiye", "Republic of Turkey"), ("Turkish", "Turk")),
    ("TT", "Trinidad and Tobago", ("Trinidad",), ("Trinidadian", "Tobagonian")),
    ("TV", "Tuvalu", (), ("Tuvaluan",)),
    ("TW", "Taiwan", ("Republic of China", "Taiwan, Province of China"), ("Taiwanese",)),
    (
        "TZ",
        "Tanzania",
        ("United Republic of Tanzania", "Tanzania, United Republic of"),
        ("Tanzanian",),
    ),
    ("UA", "Ukraine", (), ("Ukrainian",)),
    ("UG", "Uganda", ("Republic of Uganda",), ("Ugandan",)),
    ("UM", "United States Minor Outlying Islands", ("U.S. Minor Outlying Islands",), ()),
    (
        "US",
        "United States",
        ("United States of America", "USA", "U.S.A.", "US", "U.S.", "America", "the States"),
        ("American",),
    ),
    ("UY", "Uruguay", ("Oriental Republic of Uruguay",), ("Uruguayan",)),
    ("UZ", "Uzbekistan", ("Republic of Uzbekistan",), ("Uzbek", "Uzbekistani")),
    ("VA", "Vatican City", ("Vatican", "Holy See", "Vatican City State"), ()),
    ("VC", "Saint Vincent and the Grenadines", ("Saint Vincent",), ("Vincentian",)),
    ("VE", "Venezuela", ("Bolivarian Republic of Venezuela",), ("Venezuelan",)),
    ("VG", "British Virgin Islands", ("Virgin Islands, British",), ()),
    (
        "VI",
        "U.S. Virgin Islands",
        (
            "United States Virgin Islands",
            "Virgin Islands of the United States",
            "Virgin Islands, U.S.",
        ),
        (),
    ),
    ("VN", "Vietnam", ("Viet Nam", "Socialist Republic of Vietnam"), ("Vietnamese",)),
    ("VU", "Vanuatu", ("Republic of Vanuatu",), ("Ni-Vanuatu", "Vanuatuan")),
    ("WF", "Wallis and Futuna", (), ()),
    ("WS", "Samoa", ("Independent State of Samoa",), ("Samoan",)),
    ("YE", "Yemen", ("Republic of Yemen",), ("Yemeni",)),
    ("YT", "Mayotte", (), ("Mahoran",)),
    ("ZA", "South Africa", ("Republic of South Africa", "RSA"), ("South African",)),
    ("ZM", "Zambia", ("Republic of Zambia",), ("Zambian",)),
    ("ZW", "Zimbabwe", ("Republic of Zimbabwe",), ("Zimbabwean",)),
)

# Demonyms with no "-s" plural: the word already names the people ("the Swiss", "the Dutch"),
# or it is a Bantu singular/plural pair given separately (Motswana/Batswana).
_INVARIANT_DEMONYMS: Final = frozenset(
    {
        "french",
        "dutch",
        "welsh",
        "malagasy",
        "burkinabe",
        "basotho",
        "mosotho",
        "batswana",
        "motswana",
        "emaswati",
        "liswati",
        "seychellois",
        "martiniquais",
        "beninois",
        "kyrgyz",
        "turkmen",
        "khmer",
        "manx",
        "ni vanuatu",
        "i kiribati",
        "thai",
    }
)

# Regions: continents and the regions that contain a country word ("South America" is not the
# United States, "Latin American" not American). The parser matches each as one phrase and
# refuses it, naming the region, since a filter takes one country.
_REGIONS: Final = (
    *("south america", "north america", "central america", "latin america", "the americas"),
    *("south american", "north american", "central american", "latin american"),
    *("west indian", "west indies", "east indian", "africa", "african", "west africa"),
    *("west african", "east africa", "east african", "north africa", "north african"),
    *("southern africa", "sub saharan africa", "sub saharan african", "europe", "european"),
    *("eastern europe", "eastern european", "western europe", "western european", "asia"),
    *("asian", "south asia", "south asian", "southeast asia", "southeast asian", "east asia"),
    *("east asian", "central asia", "central asian", "oceania", "middle east", "middle eastern"),
    *("the middle east", "caribbean", "the caribbean", "scandinavia", "scandinavian"),
)
REGION_PHRASES: Final = frozenset(
    {*_REGIONS, *(region + "s" for region in _REGIONS if region.endswith(("an", "ian")))}
)

COUNTRY_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {code: name for code, name, _, _ in _COUNTRIES}
)


def is_country_code(code: str) -> bool:
    """Whether `code` is an assigned ISO 3166-1 alpha-2 code; expects upper case ("NG")."""
    return code in COUNTRY_NAMES


def country_name(code: str) -> str | None:
    """The short English name for an upper-case code: `country_name("CD") -> "DR Congo"`."""
    return COUNTRY_NAMES.get(code)


def phrase_key(text: str) -> str:
    """Fold text the way `COUNTRY_PHRASES` keys are folded.

    Lower case, accents dropped, apostrophes and abbreviation dots removed, "&" read as "and",
    any other punctuation a word break: `phrase_key("Côte d’Ivoire") -> "cote divoire"`,
    `phrase_key("U.S.A.") -> "usa"`, `phrase_key("Guinea-Bissau") -> "guinea bissau"`.
    """
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    for apostrophe in ("'", "\u2019", "\u2018", "`", "\u02bc"):
        letters = letters.replace(apostrophe, "")
    spaced = letters.replace(".", "").replace("&", " and ")
    return " ".join("".join(char if char.isalnum() else " " for char in spaced).split())


def _plurals(demonym: str) -> tuple[str, ...]:
    key = phrase_key(demonym)
    if key in _INVARIANT_DEMONYMS or key.endswith(("ese", "ish", "ss", "sh")):
        return ()
    return (demonym + "s",)


def _phrases_of(name: str, aliases: Sequence[str], demonyms: Sequence[str]) -> Iterator[str]:
    names = (name, *aliases)
    yield from names
    for each in names:
        # "Saint Lucia" is as often "St Lucia" or "St. Lucia" (the dot is folded away).
        if each.startswith("Saint "):
            yield "St " + each.removeprefix("Saint ")
    for demonym in demonyms:
        yield demonym
        yield from _plurals(demonym)


def _build_phrases() -> dict[str, str]:
    phrases: dict[str, str] = {}
    for code, name, aliases, demonyms in _COUNTRIES:
        for phrase in _phrases_of(name, aliases, demonyms):
            key = phrase_key(phrase)
            # A word naming two countries would make the parser's answer depend on table order.
            if phrases.setdefault(key, code) != code:
                raise ValueError(f"{phrase!r} names both {phrases[key]} and {code}")
    return phrases


COUNTRY_PHRASES: Final[Mapping[str, str]] = MappingProxyType(_build_phrases())
MAX_PHRASE_WORDS: Final = max(len(key.split()) for key in (*COUNTRY_PHRASES, *REGION_PHRASES))


def country_code_for(text: str) -> str | None:
    """The code a whole phrase names, if any: `country_code_for("Nigerians") -> "NG"`."""
    return COUNTRY_PHRASES.get(phrase_key(text))


def match_country(words: Sequence[str], start: int) -> tuple[int, str] | None:
    """The longest country phrase in folded `words` starting at `start`, as (end, code).

    Longest first, so `["south", "sudan"]` is SS, not "south" then SD:
    `match_country(["south", "sudanese", "men"], 0) -> (2, "SS")`.
    """
    for end in range(min(len(words), start + MAX_PHRASE_WORDS), start, -1):
        code = COUNTRY_PHRASES.get(" ".join(words[start:end]))
        if code is not None:
            return end, code
    return None


def match_region(words: Sequence[str], start: int) -> int | None:
    """The end of a region phrase ("south america") starting at `start`, if there is one."""
    for end in range(min(len(words), start + MAX_PHRASE_WORDS), start, -1):
        if " ".join(words[start:end]) in REGION_PHRASES:
            return end
    return None
