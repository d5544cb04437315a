"""Opaque one-time secrets (refresh tokens, invitation and password-reset links).

The value goes to the client once; only its sha256 is stored, so reading the database (or a
backup) does not let anyone use a token. 32 random bytes leave nothing to guess, which is why
a plain fast hash is enough here, unlike passwords.
"""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Final

# token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH: Final = 128


@dataclass(frozen=True, slots=True)
class OpaqueToken:
    value: str
    digest: bytes

    def __repr__(self) -> str:
        return "OpaqueToken('**********')"


def new_opaque_token() -> OpaqueToken:
    value = secrets.token_urlsafe(32)
    return OpaqueToken(value, token_digest(value))


def token_digest(value: str) -> bytes:
    # surrogatepass: client text may hold lone surrogates; they hash, they never match.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def is_plausible_token(value: str) -> bool:
    """Cheap shape check before any lookup: empty or oversized input is never a token."""
    return 0 < len(value) <= MAX_TOKEN_LENGTH
