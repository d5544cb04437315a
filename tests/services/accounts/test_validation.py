import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.accounts.validation import (
    RESERVED_SLUGS,
    email_address,
    email_key_or_none,
    organisation_name,
    person_name,
    slug_base,
    slug_candidates,
)
from services.errors import ErrorCode, ServiceError


def test_an_address_keeps_its_spelling_and_keys_lower_case() -> None:
    address = email_address("  Ada.Obi@Example.COM \n")
    assert (address.address, address.key) == ("Ada.Obi@Example.COM", "ada.obi@example.com")
    assert (address.local_part, address.domain) == ("Ada.Obi", "Example.COM")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "a@b",
        "a@@b.com",
        "a b@c.com",
        "a@b.c.",
        "nul\x00@x.com",
        "tab\t@x.com",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
    ],
)
def test_malformed_addresses_are_bad_input_on_the_email_field(value: str) -> None:
    with pytest.raises(ServiceError) as raised:
        email_address(value)
    assert (raised.value.code, raised.value.field) == (ErrorCode.BAD_USER_INPUT, "email")
    assert email_key_or_none(value) is None


def test_names_collapse_whitespace_and_fall_back() -> None:
    assert person_name("  Ada \n Obi ", fallback="x") == "Ada Obi"
    assert person_name(None, fallback="ada") == "ada"
    assert organisation_name("   ", fallback="example.com") == "example.com"
    with pytest.raises(ServiceError):
        person_name("x" * 201, fallback="x")
    with pytest.raises(ServiceError):
        organisation_name("a\x00b", fallback="x")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Research Ltd.", "acme-research-ltd"),
        ("Ácme", "acme"),
        ("  --  ", "org"),
        ("日本語", "org"),
        ("A&B  Co", "a-b-co"),
    ],
)
def test_slug_bases(name: str, slug: str) -> None:
    assert slug_base(name) == slug


@given(st.text(max_size=200))
def test_every_slug_is_url_safe_and_short(name: str) -> None:
    for slug in slug_candidates(name, random_tries=1):
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert len(slug) <= 60
        assert slug not in RESERVED_SLUGS


def test_candidates_start_with_the_base_and_never_repeat() -> None:
    candidates = list(slug_candidates("Globex"))
    assert candidates[:3] == ["globex", "globex-2", "globex-3"]
    assert len(set(candidates)) == len(candidates)
