from services.auth.opaque_tokens import (
    MAX_TOKEN_LENGTH,
    is_plausible_token,
    new_opaque_token,
    token_digest,
)


def test_tokens_are_random_and_stored_only_as_their_digest() -> None:
    first, second = new_opaque_token(), new_opaque_token()
    assert first.value != second.value
    assert first.digest == token_digest(first.value)
    assert len(first.digest) == 32
    assert first.value not in repr(first)


def test_any_text_hashes_even_lone_surrogates() -> None:
    assert len(token_digest("\ud800")) == 32


def test_empty_and_oversized_values_are_never_tokens() -> None:
    assert not is_plausible_token("")
    assert not is_plausible_token("x" * (MAX_TOKEN_LENGTH + 1))
    assert is_plausible_token(new_opaque_token().value)
