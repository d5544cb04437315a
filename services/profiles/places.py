"""Words that name a place the country table does not know.

A filter takes one country, so a query that names some other place ("men from Narnia",
"Narnian women", "women in South America") must not quietly answer for every country: the
plain-English parser refuses it, naming the place. Two shapes are recognised, both by table:

- the unknown words right after "from" or "in" (so "living in", "based in" as well): language.py
  finds them, `NOT_PLACES` lists the idioms that are no place ("in general", "in short");
- a word shaped like a nationality ("Narnian", "Atlantean", "Elbonese"):
  `looks_like_demonym("narnian") -> True`, `looks_like_demonym("vegetarian") -> False`.
"""

from typing import Final

# Words after which the next unknown words name a place: "from X", "in X", "living in X".
PLACE_PREPOSITIONS: Final = frozenset({"from", "in"})

# Words that may sit between the preposition and the place: "from the Narnian hills".
PLACE_ARTICLES: Final = frozenset({"the"})

# "in" and "from" open idioms too; the words after them are then only unmatched, not a place.
NOT_PLACES: Final = frozenset(
    {"general", "particular", "short", "brief", "detail", "full", "order", "case", "fact"}
)

_DEMONYM_ENDINGS: Final = ("ian", "ians", "ean", "eans", "ese")

# Everyday English words with a demonym's ending; they are reported as unmatched instead.
_NOT_DEMONYMS: Final = frozenset(
    {
        *("median", "medians", "meridian", "guardian", "guardians", "civilian", "civilians"),
        *("pedestrian", "pedestrians", "historian", "historians", "comedian", "comedians"),
        *("custodian", "custodians", "librarian", "librarians", "vegetarian", "vegetarians"),
        *("veterinarian", "veterinarians", "christian", "christians", "utopian", "barbarian"),
        *("barbarians", "humanitarian", "humanitarians", "ruffian", "amphibian", "lesbian"),
        *("lesbians", "thespian", "thespians", "valedictorian", "equestrian", "equestrians"),
        *("disciplinarian", "grammarian", "seminarian", "seminarians", "antiquarian"),
        *("agrarian", "contrarian", "libertarian", "libertarians", "egalitarian", "collegian"),
        *("ocean", "oceans", "obese", "cheese", "geese", "these", "journalese", "legalese"),
    }
)

# Occupations ending in "-cian", listed rather than matched by ending: an invented place's
# "-cian" ("Bbcian") must still be refused as a nationality nobody has.
_CIAN_WORDS: Final = frozenset(
    word + plural
    for word in (
        *("musician", "physician", "politician", "technician", "magician", "electrician"),
        *("mathematician", "statistician", "optician", "beautician", "clinician", "dietician"),
        *("logician", "mortician", "pediatrician", "paediatrician", "academician", "obstetrician"),
        *("patrician", "tactician", "theoretician", "rhetorician", "diagnostician", "cosmetician"),
        *("geriatrician", "phonetician", "dialectician", "arithmetician"),
    )
    for plural in ("", "s")
)


def looks_like_demonym(word: str) -> bool:
    """Whether a folded word that names no country is shaped like a nationality.

    `looks_like_demonym("narnian") -> True`; occupations ending in "-cian" ("musician",
    "politician") and the everyday words in `_NOT_DEMONYMS` are not.
    """
    if len(word) < 5 or not word.isalpha() or word in _NOT_DEMONYMS or word in _CIAN_WORDS:
        return False
    return word.endswith(_DEMONYM_ENDINGS)
