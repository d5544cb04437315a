"""What services read database rows through: anything indexable by column name."""

from typing import Any, Protocol


class Row(Protocol):
    """A database row (asyncpg.Record) or any mapping with the same keys."""

    def __getitem__(self, key: str, /) -> Any: ...
