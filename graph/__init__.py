"""The GraphQL layer. `graph:schema` (for `strawberry export-schema`) is loaded on first use."""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "schema":
        from graph.schema import schema

        return schema
    raise AttributeError(name)
