import pytest

from services.auth.passwords import (
    DUMMY_HASH,
    MAX_PASSWORD_LENGTH,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from services.errors import ErrorCode, ServiceError


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery!")
    assert not needs_rehash(stored)


def test_two_hashes_of_one_password_differ() -> None:
    assert hash_password("same password") != hash_password("same password")


def test_a_malformed_stored_hash_never_verifies() -> None:
    assert not verify_password("not-a-hash", "anything at all")
    assert not verify_password(DUMMY_HASH, "anything at all")


@pytest.mark.parametrize("password", ["short", "x" * (MAX_PASSWORD_LENGTH + 1)])
def test_password_rules_are_bad_user_input(password: str) -> None:
    with pytest.raises(ServiceError) as raised:
        check_password_rules(password)
    assert raised.value.code is ErrorCode.BAD_USER_INPUT
    assert raised.value.field == "password"
