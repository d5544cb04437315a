"""Plain English to a profile filter: rule-based and deterministic, no AI.

`interpret("Nigerian females between ages 20 and 45").spec ->
FilterSpec(gender=FEMALE, country_id="NG", min_age=20, max_age=45)`.

The text is cut into tokens (words, numbers, "+", and the dash of "20-45"). From left to right,
every recogniser is tried at the current token and the longest match wins, so "Isle of Man" is a
country rather than the word "man", and "older than 30" an age bound rather than "older" (senior).
Each match carries a meaning; the meanings are then combined into one `FilterSpec`:

- genders: one gender is kept; both named ("men and women") means no gender.
- countries: one only; two different countries are BAD_USER_INPUT.
- age groups and decades: several of a kind are joined when their ages touch ("children and
  teenagers" -> 0..19, "30s and 40s" -> 30..49); one group alone stays the group.
- age bounds ("over 30", "aged 25", "young"): all must hold. Bounds are inclusive, "above 30"
  and "under 18" included, as docs/api.md says. "young" and "young adults" -> 16..24, "middle-aged"
  -> 40..59, "minors" -> 0..17.
- words with no meaning of their own ("show me", "living in", "years old") are skipped; other
  words the parser cannot use are returned in `unmatched`, as written.

A query of filler and "everyone" words only ("show me all profiles") asks for everything. A query
with nothing understood, or only "everyone" words beside unknown ones ("people named Ada"), is
UNINTERPRETABLE_QUERY rather than a silent "all profiles". A place that is no country ("from
Narnia", "in South America", "Narnian"; places.py) is BAD_USER_INPUT naming it, never an answer
for every country. Negation ("not from Kenya") cannot be expressed by a filter, so it is
BAD_USER_INPUT instead of being read as its opposite.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from services.errors import ErrorCode, ServiceError, bad_input
from services.profiles.age_groups import AGE_GROUP_RANGES
from services.profiles.countries import (
    MAX_PHRASE_WORDS,
    country_name,
    is_country_code,
    match_country,
    match_region,
)
from services.profiles.enums import AgeGroup, Gender
from services.profiles.filters import CanonicalFilter, FilterSpec, normalize
from services.profiles.places import (
    NOT_PLACES,
    PLACE_ARTICLES,
    PLACE_PREPOSITIONS,
    looks_like_demonym,
)
from services.profiles.query_tokens import Token, TokenKind, tokenize

MAX_QUERY_LENGTH: Final = 500


@dataclass(frozen=True, slots=True)
class Interpretation:
    text: str  # the input as given
    spec: FilterSpec  # raw spec, not yet normalised
    unmatched: tuple[str, ...]  # words that carried no usable meaning, in input order, as written


def interpret(text: str) -> Interpretation:
    """Read a plain-English query into a raw `FilterSpec`; raises ServiceError.

    `interpret("male and female teenagers above 17")` -> spec with age_group=TEENAGER, min_age=17.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise bad_input(
            f"the query is {len(text)} characters long; at most {MAX_QUERY_LENGTH} are allowed",
            field="query",
        )
    tokens = tokenize(text)
    spans = _read(tokens)
    _refuse_unknown_places(tokens, spans)
    meanings = [span.meaning for span in spans if span.meaning is not None]
    unmatched = _unmatched(tokens, spans)
    _check_understood(text, meanings, unmatched)
    return Interpretation(text=text, spec=_spec_from(meanings), unmatched=tuple(unmatched))


def interpret_and_normalize(text: str) -> tuple[Interpretation, CanonicalFilter]:
    """`interpret` then `normalize`: contradictions ("children above 60") are BAD_USER_INPUT."""
    interpretation = interpret(text)
    return interpretation, normalize(interpretation.spec)


# --- Meanings -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Gender:
    gender: Gender


@dataclass(frozen=True, slots=True)
class _Group:
    group: AgeGroup


@dataclass(frozen=True, slots=True)
class _Decade:
    """An age band of which several are joined: "in their 30s and 40s" -> 30..49."""

    low: int
    high: int


@dataclass(frozen=True, slots=True)
class _Ages:
    """Inclusive bounds that must all hold: "over 30", "aged 25", "young"."""

    low: int | None
    high: int | None


@dataclass(frozen=True, slots=True)
class _Country:
    code: str


@dataclass(frozen=True, slots=True)
class _Everyone:
    """Words for everyone ("people", "both genders"): understood, and ask for no filter."""


@dataclass(frozen=True, slots=True)
class _Filler:
    """Filler ("show me", "living in", "years old"): no meaning of its own, never reported."""


@dataclass(frozen=True, slots=True)
class _Region:
    """A region ("South America"), consumed whole so "america" is not the US; refused."""


@dataclass(frozen=True, slots=True)
class _Negation:
    word: str


_Meaning = _Gender | _Group | _Decade | _Ages | _Country | _Everyone | _Filler | _Region | _Negation
_CONSTRAINTS: Final = (_Gender, _Group, _Decade, _Ages, _Country)


@dataclass(frozen=True, slots=True)
class _Match:
    end: int  # index of the first token after the match
    meaning: _Meaning


@dataclass(frozen=True, slots=True)
class _Span:
    """Tokens start..end-1 as read: a meaning, or None for one token the parser could not use."""

    start: int
    end: int
    meaning: _Meaning | None


# --- Vocabulary: fixed words and phrases --------------------------------------------------------

_YOUNG: Final = _Ages(16, 24)
_MALE: Final = _Gender(Gender.MALE)
_FEMALE: Final = _Gender(Gender.FEMALE)


def _phrases(words: str) -> frozenset[tuple[str, ...]]:
    """`"older_than over"` -> {("older", "than"), ("over",)}: "_" joins the words of a phrase."""
    return frozenset(tuple(phrase.split("_")) for phrase in words.split())


def _entries(words: str, meaning: _Meaning) -> dict[tuple[str, ...], _Meaning]:
    return dict.fromkeys(_phrases(words), meaning)


_VOCABULARY: Final[dict[tuple[str, ...], _Meaning]] = {
    **_entries(
        "show me us list find get give display fetch return search searching look looking see "
        "view want need would like can could you i we please what which who whom whose whos that "
        "thats those these there here them they their his her are is be were was been being have "
        "has having how many much count number total a an the of in on at to for from by with "
        "within into and or but both either any some only just also every each "
        "live lives living lived reside resides residing based located staying born originally "
        "currently age aged ages year years yrs country countries nation nationality gender "
        "genders sex group groups",
        _Filler(),
    ),
    **_entries(
        "people persons person everyone everybody everything anyone anybody all individuals "
        "individual humans human folks folk profiles profile users user records entries "
        "residents citizens nationals natives inhabitants population both_genders both_sexes "
        "all_genders all_sexes any_gender any_sex either_gender either_sex all_ages any_age",
        _Everyone(),
    ),
    **_entries("male males man men mens boy boys guy guys gentleman gentlemen gents lads", _MALE),
    **_entries("female females woman women womens girl girls lady ladies gals", _FEMALE),
    **_entries("child children kid kids", _Group(AgeGroup.CHILD)),
    **_entries(
        "teen teens teenager teenagers teenage teenaged adolescent adolescents",
        _Group(AgeGroup.TEENAGER),
    ),
    **_entries("adult adults grownup grownups grown_up grown_ups", _Group(AgeGroup.ADULT)),
    # "older adults" is the usual euphemism for seniors, not adults who happen to be older.
    **_entries(
        "senior seniors elderly elder elders old older pensioner pensioners retiree retirees "
        "retired oaps old_adults older_adults elderly_adults",
        _Group(AgeGroup.SENIOR),
    ),
    # "young adults" is the everyday name for the same bracket as "young"; reading it as
    # adult (20+) and young (16..24) would silently drop the 16-19 year olds it is meant to cover.
    **_entries("young youth youths youngsters young_adults young_adult", _YOUNG),
    **_entries("middle_aged middleaged", _Ages(40, 59)),
    **_entries("minors underage", _Ages(None, 17)),
    # Ages are whole years: a baby or an infant is 0 or 1, a toddler 1 to 3.
    **_entries("baby babies infant infants newborn newborns", _Ages(None, 1)),
    **_entries("toddler toddlers", _Ages(1, 3)),
    **_entries("sexagenarian sexagenarians", _Decade(60, 69)),
    **_entries("septuagenarian septuagenarians", _Decade(70, 79)),
    **_entries("octogenarian octogenarians", _Decade(80, 89)),
    **_entries("nonagenarian nonagenarians", _Decade(90, 99)),
    **_entries("centenarian centenarians", _Ages(100, None)),
}
# Negations keep the word as written for the error message, so they are matched separately.
_NEGATIONS: Final = frozenset(
    {
        *("not", "no", "non", "nor", "neither", "never", "except", "excluding", "exclude"),
        *("excludes", "without", "isnt", "arent", "dont", "doesnt"),
    }
)
_NEGATION_PHRASES: Final = _phrases("other_than apart_from aside_from but_not")
# Adjectives that modify an age-group noun rather than add a range: "young children" is
# children (we cannot say how young), "old teenagers" teenagers; the adjective is reported.
_AGE_ADJECTIVES: Final = frozenset(
    {"young", "old", "older", "elderly", "senior", "adult", "teen", "teenage", "teenaged"}
)
_LONGEST_VOCABULARY: Final = max(len(phrase) for phrase in _VOCABULARY)

_DECADE_WORDS: Final = {
    word: 10 * n
    for n, word in enumerate(
        ("twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties"), 2
    )
} | {"nineties": 90}
_DECADE_PARTS: Final = {"early": (0, 3), "mid": (4, 6), "late": (7, 9)}

# Age grammar. N is a number with an optional unit ("30 years old", "30yo", "30-year-old").
_AGE_LEADS: Final = _phrases("aged age ages age_of ages_of the_age_of the_ages_of who_are that_are")
_AGE_UNITS: Final = _phrases(
    "years year yrs yr yo y y_o years_old year_old yrs_old years_olds year_olds years_of_age "
    "yrs_of_age",
)
_MIN_BEFORE: Final = _phrases(
    "above over older_than at_least more_than greater_than no_younger_than not_younger_than "
    "no_less_than not_less_than not_under not_below min minimum",
)
_MAX_BEFORE: Final = _phrases(
    "below under younger_than at_most less_than no_older_than not_older_than no_more_than "
    "not_more_than not_over not_above up_to max maximum",
)
_MIN_AFTER: Final = _phrases(
    "and_above and_over and_older and_up and_upwards and_upward and_beyond or_older or_over "
    "or_above or_more + plus",
)
_MAX_AFTER: Final = _phrases(
    "or_younger or_under or_below or_less and_under and_below and_younger and_less"
)
_RANGE_OPENERS: Final = _phrases("between from")
_RANGE_JOINERS: Final = _phrases("to - through thru until till")
_BETWEEN_JOINERS: Final = _phrases("and to - through")


# --- Recognisers: the match starting at token i, or None ----------------------------------------

_Recogniser = Callable[[Sequence[Token], int], _Match | None]


def _phrase_end(tokens: Sequence[Token], i: int, phrases: Iterable[tuple[str, ...]]) -> int | None:
    """Where the longest of `phrases` that starts at token i ends."""
    ends = [
        i + len(phrase)
        for phrase in phrases
        if tuple(token.norm for token in tokens[i : i + len(phrase)]) == phrase
    ]
    return max(ends, default=None)


def _skip(tokens: Sequence[Token], i: int, phrases: Iterable[tuple[str, ...]]) -> int:
    end = _phrase_end(tokens, i, phrases)
    return i if end is None else end


@dataclass(frozen=True, slots=True)
class _AgeNumber:
    value: int
    end: int
    has_unit: bool  # "30 years old", "30yo"
    plural: bool  # "30s"


def _age_number(tokens: Sequence[Token], i: int) -> _AgeNumber | None:
    token = tokens[i] if i < len(tokens) else None
    # A fraction ("20.5") is no age: it is left unmatched rather than rounded.
    if token is None or token.kind is not TokenKind.NUMBER or token.value is None:
        return None
    unit_end = _phrase_end(tokens, i + 1, _AGE_UNITS)
    end = i + 1 if unit_end is None else unit_end
    return _AgeNumber(token.value, end, unit_end is not None, token.plural)


def _match_ages(tokens: Sequence[Token], i: int) -> _Match | None:
    """Age bounds and ranges, after an optional "aged", "ages", "the age of", "who are"."""
    start = _skip(tokens, i, _AGE_LEADS)
    found = [
        _bound_before(tokens, start),
        _bound_after(tokens, start),
        _age_range(tokens, start),
        _exact_age(tokens, start, after_lead=start > i),
    ]
    return max((match for match in found if match is not None), key=_end, default=None)


def _bound_before(tokens: Sequence[Token], i: int) -> _Match | None:
    """Bound word first: "over 30", "older than the age of 30", "under 18s", "at most twenty"."""
    for phrases, bound in ((_MIN_BEFORE, _at_least), (_MAX_BEFORE, _at_most)):
        end = _phrase_end(tokens, i, phrases)
        number = None if end is None else _age_number(tokens, _skip(tokens, end, _AGE_LEADS))
        if number is not None:
            return _Match(number.end, bound(number.value))
    return None


def _bound_after(tokens: Sequence[Token], i: int) -> _Match | None:
    """Bound word after: "30+", "30 and over", "30 years or older", "18 or younger"."""
    number = _age_number(tokens, i)
    if number is None:
        return None
    for phrases, bound in ((_MIN_AFTER, _at_least), (_MAX_AFTER, _at_most)):
        end = _phrase_end(tokens, number.end, phrases)
        if end is not None:
            return _Match(_skip(tokens, end, _AGE_UNITS), bound(number.value))
    return None


def _age_range(tokens: Sequence[Token], i: int) -> _Match | None:
    """Ranges: "20-45", "20 to 45 years old", "from 20 to 45", "between ages 20 and 45"."""
    opener = _phrase_end(tokens, i, _RANGE_OPENERS)
    joiners = _BETWEEN_JOINERS if opener and tokens[i].norm == "between" else _RANGE_JOINERS
    low = _age_number(tokens, i if opener is None else _skip(tokens, opener, _AGE_LEADS))
    joiner = None if low is None or low.plural else _phrase_end(tokens, low.end, joiners)
    high = None if joiner is None else _age_number(tokens, _skip(tokens, joiner, _AGE_LEADS))
    if low is None or high is None or high.plural:
        return None
    # "between 45 and 20" means what "between 20 and 45" means.
    ages = _Ages(min(low.value, high.value), max(low.value, high.value))
    return _Match(high.end, ages)


def _exact_age(tokens: Sequence[Token], i: int, *, after_lead: bool) -> _Match | None:
    """One age: "aged 25", "25 years old", "25-year-old", "25yo"; a bare "25" is too vague."""
    number = _age_number(tokens, i)
    if number is None or number.plural or not (after_lead or number.has_unit):
        return None
    return _Match(number.end, _Ages(number.value, number.value))


def _at_least(age: int) -> _Ages:
    return _Ages(age, None)


def _at_most(age: int) -> _Ages:
    return _Ages(None, age)


def _end(match: _Match) -> int:
    return match.end


def _match_decade(tokens: Sequence[Token], i: int) -> _Match | None:
    """Decades: "30s", "thirties", "early 30s" (30..33), "mid-30s" (34..36), "late 30s" (37..39)."""
    part = _DECADE_PARTS.get(tokens[i].norm)
    at = i if part is None else i + 1
    decade = _decade_at(tokens, at)
    if decade is None:
        return None
    low, high = (0, 9) if part is None else part
    return _Match(at + 1, _Decade(decade + low, decade + high))


def _decade_at(tokens: Sequence[Token], i: int) -> int | None:
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token.kind is TokenKind.NUMBER and token.plural and token.value is not None:
        return token.value if token.value >= 10 and token.value % 10 == 0 else None
    return _DECADE_WORDS.get(token.norm)


def _match_country(tokens: Sequence[Token], i: int) -> _Match | None:
    words = [token.norm for token in tokens[i : i + MAX_PHRASE_WORDS]]
    region_end = match_region(words, 0)
    found = match_country(words, 0)
    if region_end is not None and (found is None or region_end >= found[0]):
        return _Match(i + region_end, _Region())
    if found is None:
        code = _country_code(tokens, i)
        return _Match(i + 1, _Country(code)) if code else None
    end, code = found
    if words[:end] == ["us"] and not _names_the_us(tokens, i):
        return None
    return _Match(i + end, _Country(code))


def _country_code(tokens: Sequence[Token], i: int) -> str | None:
    """An ISO code written as one ("women in NG"). Codes that are also English words ("IN",
    "ME"), and any code in a shouted query ("SHOW ME WOMEN IN GHANA"), count only after
    in/from/of or alone."""
    raw = tokens[i].raw
    if len(raw) != 2 or not raw.isascii() or not raw.isupper() or not is_country_code(raw):
        return None
    shouted = all(token.raw.isupper() for token in tokens if token.kind is TokenKind.WORD)
    before = tokens[i - 1].norm if i > 0 else ""
    ambiguous = shouted or raw in _CODES_THAT_ARE_WORDS
    if ambiguous and len(tokens) > 1 and before not in {"in", "from", "of"}:
        return None
    return raw


_CODES_THAT_ARE_WORDS: Final = frozenset(
    {"AM", "AS", "AT", "BE", "BY", "DO", "ID", "IN", "IS", "IT", "ME", "MY", "NO", "SO", "TO"}
)


def _names_the_us(tokens: Sequence[Token], i: int) -> bool:
    # "show us women" (even shouted) is the pronoun; "the US", "in us", "US", "U.S." the country.
    before = tokens[i - 1].norm if i > 0 else ""
    if before in {"show", "give", "tell", "let", "send", "get", "find", "help"}:
        return False
    return tokens[i].raw == "US" or "." in tokens[i].raw or before in {"the", "in", "from"}


def _match_vocabulary(tokens: Sequence[Token], i: int) -> _Match | None:
    for length in range(min(_LONGEST_VOCABULARY, len(tokens) - i), 0, -1):
        meaning = _VOCABULARY.get(tuple(token.norm for token in tokens[i : i + length]))
        if meaning is not None:
            if length == 1 and _modifies_another_group(tokens, i, meaning):
                return None
            return _Match(i + length, meaning)
    return None


def _modifies_another_group(tokens: Sequence[Token], i: int, meaning: _Meaning) -> bool:
    if tokens[i].norm not in _AGE_ADJECTIVES or i + 1 >= len(tokens):
        return False
    following = _VOCABULARY.get((tokens[i + 1].norm,))
    return isinstance(following, _Group) and following != meaning


def _match_negation(tokens: Sequence[Token], i: int) -> _Match | None:
    end = _phrase_end(tokens, i, _NEGATION_PHRASES)
    if end is None and tokens[i].norm in _NEGATIONS:
        end = i + 1
    if end is None:
        return None
    return _Match(end, _Negation(" ".join(token.raw for token in tokens[i:end])))


# Ties go to the earlier recogniser: a one-word country beats the filler "us" it may also be.
_RECOGNISERS: Final[tuple[_Recogniser, ...]] = (
    _match_ages,
    _match_decade,
    _match_country,
    _match_vocabulary,
    _match_negation,
)


def _read(tokens: Sequence[Token]) -> list[_Span]:
    """The tokens read left to right, longest match first; a token nothing matched is its own
    span without a meaning."""
    spans: list[_Span] = []
    i = 0
    while i < len(tokens):
        found = [match for recognise in _RECOGNISERS if (match := recognise(tokens, i))]
        end = max(match.end for match in found) if found else i + 1
        meaning = max(found, key=_end).meaning if found else None
        spans.append(_Span(i, end, meaning))
        i = end
    return spans


def _unmatched(tokens: Sequence[Token], spans: Sequence[_Span]) -> list[str]:
    return [
        tokens[span.start].raw
        for span in spans
        if span.meaning is None and tokens[span.start].kind in (TokenKind.WORD, TokenKind.NUMBER)
    ]


# --- Places that are no country -----------------------------------------------------------------


def _refuse_unknown_places(tokens: Sequence[Token], spans: Sequence[_Span]) -> None:
    """BAD_USER_INPUT naming the first place that is no country: a region, a word shaped like a
    nationality, or the unknown words after "from" / "in"."""
    for index, span in enumerate(spans):
        if isinstance(span.meaning, _Region):
            region = _written(tokens, span.start, span.end)
            raise bad_input(
                f"{region!r} is a region, not a country; a query takes one country "
                f"(e.g. 'from Kenya', 'Nigerian')",
                field="query",
            )
        if _is_unknown_word(tokens, span) and looks_like_demonym(tokens[span.start].norm):
            raise bad_input(
                f"{tokens[span.start].raw!r} looks like a nationality but names no country; "
                f"{_NAME_A_COUNTRY}",
                field="query",
            )
        if isinstance(span.meaning, _Filler) and tokens[span.end - 1].norm in PLACE_PREPOSITIONS:
            place = _place_after(tokens, spans[index + 1 :])
            if place is not None:
                raise bad_input(f"no country is called {place!r}; {_NAME_A_COUNTRY}", field="query")


_NAME_A_COUNTRY: Final = (
    "name one country by name, nationality or ISO code (e.g. 'from Kenya', 'Nigerian', 'in NG')"
)


def _place_after(tokens: Sequence[Token], following: Sequence[_Span]) -> str | None:
    """The unknown words that follow "from" or "in" (after an optional "the"), as written."""
    while following and _is_article(tokens, following[0]):
        following = following[1:]
    words = []
    for span in following:
        if not _is_unknown_word(tokens, span):
            break
        words.append(span)
    if not words or tokens[words[0].start].norm in NOT_PLACES:
        return None
    return _written(tokens, words[0].start, words[-1].end)


def _is_article(tokens: Sequence[Token], span: _Span) -> bool:
    return isinstance(span.meaning, _Filler) and tokens[span.start].norm in PLACE_ARTICLES


def _is_unknown_word(tokens: Sequence[Token], span: _Span) -> bool:
    return span.meaning is None and tokens[span.start].kind is TokenKind.WORD


def _written(tokens: Sequence[Token], start: int, end: int) -> str:
    return " ".join(token.raw for token in tokens[start:end])


# --- From meanings to a FilterSpec --------------------------------------------------------------

_UNDERSTOOD: Final = (
    "a query can name a gender (women, men), an age group (children, teenagers, adults, "
    "seniors, young people), ages (over 30, under 18, between 20 and 45, aged 25, in their 30s) "
    "and one country by name or nationality (Nigeria, Kenyans, from the UK)"
)


def _check_understood(text: str, meanings: Sequence[_Meaning], unmatched: Sequence[str]) -> None:
    if any(isinstance(meaning, _CONSTRAINTS) for meaning in meanings):
        return
    if not unmatched and any(isinstance(meaning, _Everyone) for meaning in meanings):
        return
    if not text.strip():
        message = f"the query is empty: {_UNDERSTOOD}"
    else:
        unknown = f" (not understood: {', '.join(unmatched)})" if unmatched else ""
        message = f"could not find a filter in {text!r}{unknown}; {_UNDERSTOOD}"
    raise ServiceError(ErrorCode.UNINTERPRETABLE_QUERY, message, field="query")


def _spec_from(meanings: Sequence[_Meaning]) -> FilterSpec:
    _refuse_negation(meanings)
    genders = {meaning.gender for meaning in meanings if isinstance(meaning, _Gender)}
    groups = sorted(
        {meaning.group for meaning in meanings if isinstance(meaning, _Group)},
        key=AGE_GROUP_RANGES.__getitem__,
    )
    bounds = [(meaning.low, meaning.high) for meaning in meanings if isinstance(meaning, _Ages)]
    decades = [(meaning.low, meaning.high) for meaning in meanings if isinstance(meaning, _Decade)]
    if decades:
        bounds.append(_joined(decades, "decades"))
    if len(groups) > 1:
        bounds.append(_joined([AGE_GROUP_RANGES[group] for group in groups], "age groups"))
    return FilterSpec(
        # Both genders named ("men and women", "male and female") means either.
        gender=next(iter(genders)) if len(genders) == 1 else None,
        age_group=groups[0] if len(groups) == 1 else None,
        country_id=_one_country(meanings),
        min_age=max((low for low, _ in bounds if low is not None), default=None),
        max_age=min((high for _, high in bounds if high is not None), default=None),
    )


def _refuse_negation(meanings: Sequence[_Meaning]) -> None:
    for meaning in meanings:
        if isinstance(meaning, _Negation):
            raise bad_input(
                f"negation ({meaning.word!r}) is not supported: say which profiles to include, "
                "e.g. 'women from Kenya'",
                field="query",
            )


def _one_country(meanings: Sequence[_Meaning]) -> str | None:
    codes = list(
        dict.fromkeys(meaning.code for meaning in meanings if isinstance(meaning, _Country))
    )
    if len(codes) > 1:
        named = " and ".join(f"{country_name(code)} ({code})" for code in codes)
        raise bad_input(
            f"only one country per query is supported; the query names {named}", field="query"
        )
    return codes[0] if codes else None


def _joined(ranges: Sequence[tuple[int, int]], what: str) -> tuple[int, int]:
    """One range from ranges that touch: 0..12 and 13..19 -> 0..19; a gap is BAD_USER_INPUT."""
    ordered = sorted(ranges)
    low, high = ordered[0]
    for next_low, next_high in ordered[1:]:
        if next_low > high + 1:
            raise bad_input(
                f"the {what} in the query are not one continuous age range; ask for each "
                "in its own query",
                field="query",
            )
        high = max(high, next_high)
    return low, high
