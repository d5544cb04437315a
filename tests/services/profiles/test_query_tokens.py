from services.profiles.query_tokens import TokenKind, tokenize


def kinds_and_values(text: str) -> list[tuple[TokenKind, str, int | None]]:
    return [(token.kind, token.norm, token.value) for token in tokenize(text)]


def test_a_range_is_number_dash_number() -> None:
    assert kinds_and_values("women 20-45") == [
        (TokenKind.WORD, "women", None),
        (TokenKind.NUMBER, "20", 20),
        (TokenKind.DASH, "-", None),
        (TokenKind.NUMBER, "45", 45),
    ]


def test_an_en_dash_is_a_range_dash() -> None:
    assert [token.kind for token in tokenize("20–45")] == [
        TokenKind.NUMBER,
        TokenKind.DASH,
        TokenKind.NUMBER,
    ]


def test_number_words_become_numbers() -> None:
    values = [
        token.value for token in tokenize("over twenty five") if token.kind is TokenKind.NUMBER
    ]
    assert values == [25]


def test_hundreds_are_one_number() -> None:
    values = [
        token.value
        for token in tokenize("one hundred or one hundred and twenty-five or two hundred six")
        if token.kind is TokenKind.NUMBER
    ]
    assert values == [100, 125, 206]


def test_a_decade_is_a_plural_number() -> None:
    (token,) = tokenize("30s")
    assert (token.kind, token.value, token.plural) == (TokenKind.NUMBER, 30, True)


def test_dotted_abbreviations_are_one_word() -> None:
    assert [token.norm for token in tokenize("from the U.S.A.")] == ["from", "the", "usa"]


def test_plus_is_its_own_token() -> None:
    assert [token.kind for token in tokenize("30+")] == [TokenKind.NUMBER, TokenKind.PLUS]


def test_a_fraction_has_no_whole_value() -> None:
    (token,) = tokenize("20.5")
    assert token.value is None
