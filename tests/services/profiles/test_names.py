import pytest

from services.profiles.names import name_key, normalize_name


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Ada   Obi ", "Ada Obi"),
        ("Ada\nObi", "Ada Obi"),
        ("Ada\t\r\n Obi", "Ada Obi"),
        ("Zoe\u0301", "Zoé"),  # decomposed accent becomes one code point (NFC)
    ],
)
def test_names_are_trimmed_collapsed_and_nfc(raw: str, stored: str) -> None:
    assert normalize_name(raw) == stored


def test_same_person_same_key() -> None:
    assert name_key("Ada  Obi") == name_key("ADA OBI") == name_key("ada obi")
    assert name_key("Zoe\u0301") == name_key("ZOÉ")
    assert name_key("Ada Obi") != name_key("Ada Obiora")
