"""Tokens of a plain-English profile query: words, whole numbers (digits or words such as
"twenty five"), "+", and the dash of a range ("20-45", "20 – 45"). Other punctuation separates.

`tokenize("women 20-45")` -> WORD "women", NUMBER 20, DASH, NUMBER 45.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final

from services.profiles.countries import phrase_key


class TokenKind(Enum):
    WORD = auto()
    NUMBER = auto()
    PLUS = auto()
    DASH = auto()


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    raw: str  # as written
    norm: str  # folded as country phrases are: "cote", "divoire", "usa", "20", "+", "-"
    start: int
    end: int
    value: int | None = None  # NUMBER: the whole number; None for a fraction such as "20.5"
    plural: bool = False  # NUMBER written as a decade or a crowd: "30s", "over 60s"


_TOKEN_PATTERN: Final = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)(?P<plural>['’]?s(?![^\W\d_]))?"
    # Single letters joined by dots are one word: "U.S.A." -> "usa", "D.R. Congo" -> "dr congo".
    r"|(?P<abbreviation>[^\W\d_](?:\.[^\W\d_])+\.?(?![^\W\d_]))"
    r"|(?P<word>[^\W\d_]+(?:['’ʼ][^\W\d_]+)*)"
    r"|(?P<plus>\+)"
    r"|(?P<dash>[-\u2010-\u2015\u2212])"
    r"|(?P<ampersand>&)"
)
_POSSESSIVE: Final = re.compile(r"['’ʼ]s$", re.IGNORECASE)
_UNITS: Final = {
    word: n
    for n, word in enumerate(
        (
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
            *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"),
            *("seventeen", "eighteen", "nineteen"),
        )
    )
}
_TENS: Final = {
    word: 10 * n
    for n, word in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), 2
    )
}


def tokenize(text: str) -> list[Token]:
    """Words, numbers and the two symbols that carry meaning; other punctuation separates."""
    normalized = unicodedata.normalize("NFKC", text)
    tokens = [_token_from(match) for match in _TOKEN_PATTERN.finditer(normalized)]
    tokens = _join_number_words(normalized, tokens)
    return _resolve_dashes(normalized, tokens)


def _token_from(match: re.Match[str]) -> Token:
    raw, start, end = match.group(), match.start(), match.end()
    if match.group("number") is not None:
        digits = match.group("number")
        value = int(digits) if digits.isdigit() else None
        plural = match.group("plural") is not None
        return Token(TokenKind.NUMBER, raw, digits, start, end, value, plural)
    if match.group("plus") is not None:
        return Token(TokenKind.PLUS, raw, "+", start, end)
    if match.group("dash") is not None:
        return Token(TokenKind.DASH, raw, "-", start, end)
    if match.group("ampersand") is not None:
        return Token(TokenKind.WORD, raw, "and", start, end)
    # A possessive names the same thing: "Kenya's women" are Kenyan women.
    return Token(TokenKind.WORD, raw, phrase_key(_POSSESSIVE.sub("", raw)), start, end)


def _join_number_words(text: str, tokens: list[Token]) -> list[Token]:
    """Number words become numbers: "thirty" -> 30, "twenty-five" and "twenty five" -> 25,
    "one hundred and five" -> 105."""
    joined: list[Token] = []
    i = 0
    while i < len(tokens):
        found = _number_words(tokens, i)
        if found is None:
            joined.append(tokens[i])
            i += 1
            continue
        value, end = found
        first, last = tokens[i], tokens[end - 1]
        raw = text[first.start : last.end]
        joined.append(Token(TokenKind.NUMBER, raw, str(value), first.start, last.end, value))
        i = end
    return joined


def _number_words(tokens: list[Token], i: int) -> tuple[int, int] | None:
    """The value of the number words at token i and the index after them."""
    found = _below_hundred(tokens, i)
    if found is None:
        return None
    value, end = found
    # Without this, "over one hundred" would read as "over one" and leave "hundred" over.
    if not 0 < value < 10 or _word_at(tokens, end) != "hundred":
        return found
    value, end = value * 100, end + 1
    rest = _below_hundred(tokens, end + 1 if _word_at(tokens, end) == "and" else end)
    if rest is not None and rest[0] > 0:
        return value + rest[0], rest[1]
    return value, end


def _below_hundred(tokens: list[Token], i: int) -> tuple[int, int] | None:
    """ "thirty" -> 30, "twenty-five" and "twenty five" -> 25, with the index after them."""
    word = _word_at(tokens, i)
    value = _TENS.get(word, _UNITS.get(word))
    if value is None:
        return None
    end = i + 1
    if word in _TENS:
        unit_at = i + 2 if end < len(tokens) and tokens[end].kind is TokenKind.DASH else end
        unit = _UNITS.get(_word_at(tokens, unit_at), 0)
        if 0 < unit < 10:
            value += unit
            end = unit_at + 1
    return value, end


def _word_at(tokens: list[Token], i: int) -> str:
    return tokens[i].norm if i < len(tokens) and tokens[i].kind is TokenKind.WORD else ""


def _resolve_dashes(text: str, tokens: list[Token]) -> list[Token]:
    """Keep the dash of a range ("20-45"), read "under -5" as minus five (then BAD_USER_INPUT),
    drop hyphens ("mid-30s", "25-year-old")."""
    resolved: list[Token] = []
    i = 0
    while i < len(tokens):
        token, before = tokens[i], resolved[-1] if resolved else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        i += 1
        if token.kind is not TokenKind.DASH:
            resolved.append(token)
        elif after is None or after.kind is not TokenKind.NUMBER:
            continue
        elif before is not None and before.kind is TokenKind.NUMBER:
            resolved.append(token)
        elif after.start == token.end and (before is None or before.end < token.start):
            value = None if after.value is None else -after.value
            raw = text[token.start : after.end]
            resolved.append(
                Token(TokenKind.NUMBER, raw, raw, token.start, after.end, value, after.plural)
            )
            i += 1
    return resolved
