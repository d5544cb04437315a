"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile).

Hashing is CPU-bound (tens of milliseconds by design), so callers in async code run it in a
thread: `await asyncio.to_thread(hash_password, password)`.
"""

from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.errors import bad_input
from services.platform.metrics import record_password_hashing

MIN_PASSWORD_LENGTH: Final = 10
# argon2 hashes any length, but a megabyte "password" is an attack on our CPU, not a password.
MAX_PASSWORD_LENGTH: Final = 256

_HASHER: Final = PasswordHasher()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise bad_input(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise bad_input(
            f"the password must have at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )


def hash_password(password: str) -> str:
    record_password_hashing("hash")
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a mismatch or a malformed stored hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    record_password_hashing("verify")
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


# Verifying against this when no user matches keeps "no such user" as slow as "wrong password",
# so response times do not tell which email addresses have accounts.
DUMMY_HASH: Final = _HASHER.hash("insighta-timing-equaliser")
