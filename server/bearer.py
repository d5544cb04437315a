"""The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive)."""


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
