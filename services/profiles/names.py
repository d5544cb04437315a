"""How a person's name is stored, and the key that makes names unique case-insensitively."""

import unicodedata


def normalize_name(raw: str) -> str:
    """Trimmed, inner whitespace (newlines too) collapsed, NFC: `" Ada \\n Obi "` -> `"Ada Obi"`."""
    return unicodedata.normalize("NFC", " ".join(raw.split()))


def name_key(name: str) -> str:
    """The case-folded form two names share when they are the same person: "ADA OBI" ~ "Ada Obi"."""
    return unicodedata.normalize("NFC", normalize_name(name).casefold())
