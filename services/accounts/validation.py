"""Checks and normal forms for what people type into account forms: email addresses, names,
organisation names and the slugs made from them.

Every failure is BAD_USER_INPUT naming its field; text PostgreSQL cannot store (NUL) is refused
here rather than crashing a statement.
"""

import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from services.errors import ServiceError, bad_input
from services.interviews.text_rules import storable_text

MAX_EMAIL: Final = 254  # RFC 5321 path limit
MAX_LOCAL_PART: Final = 64
MAX_NAME: Final = 200
MAX_ORGANISATION_NAME: Final = 200
MAX_SLUG_BASE: Final = 48
# Slugs with a meaning of their own: "default" holds the candidates of org-less admin tokens.
RESERVED_SLUGS: Final = frozenset({"default"})

# One @, something on each side, a dot in the domain, no spaces or control characters.
_EMAIL: Final = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f.]+$")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class EmailAddress:
    address: str  # as typed, trimmed
    key: str  # lower(trim(address)): what uniqueness and sign-in compare

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def email_address(value: str, *, field: str = "email") -> EmailAddress:
    """`"  Ada@Example.COM "` -> EmailAddress("Ada@Example.COM", "ada@example.com")."""
    storable_text(value, field=field)
    address = value.strip()
    local, _, _ = address.rpartition("@")
    if len(address) > MAX_EMAIL or len(local) > MAX_LOCAL_PART or not _EMAIL.match(address):
        raise bad_input("this is not an email address", field=field)
    return EmailAddress(address, address.lower())


def email_key_or_none(value: str) -> str | None:
    """The key of a plausible address, else None (sign-in treats that as an unknown address)."""
    try:
        return email_address(value).key
    except ServiceError:
        return None


def person_name(value: str | None, *, fallback: str) -> str:
    """Whitespace collapsed; empty means `fallback` (the email's local part)."""
    storable_text(value or "", field="name")
    name = " ".join((value or "").split()) or fallback
    if len(name) > MAX_NAME:
        raise bad_input(f"name is longer than {MAX_NAME} characters", field="name")
    return name


def organisation_name(value: str | None, *, fallback: str) -> str:
    storable_text(value or "", field="organisationName")
    name = " ".join((value or "").split()) or fallback
    if len(name) > MAX_ORGANISATION_NAME:
        raise bad_input(
            f"organisationName is longer than {MAX_ORGANISATION_NAME} characters",
            field="organisationName",
        )
    return name


def slug_base(name: str) -> str:
    """`"Ácme Ltd."` -> `"acme-ltd"`: ASCII letters and digits joined by single hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:MAX_SLUG_BASE].strip("-")
    return base or "org"


def slug_candidates(name: str, *, random_tries: int = 8) -> Iterator[str]:
    """Slugs to try in order until one is free: the base, base-2 .. base-9, then random."""
    base = slug_base(name)
    if base not in RESERVED_SLUGS:
        yield base
    for number in range(2, 10):
        yield f"{base}-{number}"
    for _ in range(random_tries):
        yield f"{base}-{secrets.token_hex(3)}"
