"""Parse each query text once: a bounded LRU of parsed documents shared by all requests.

Strawberry's own ParserCache parses inside the extension hook, so a syntax error escapes the
error handling that gives it a code (it reached clients with no `extensions.code`). Here a text
that does not parse is left to strawberry, which parses it again and reports it as usual;
errors are not cached, valid documents are. ValidationCache (keyed by the document object this
returns) then validates each distinct document once.
"""

import contextlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Final

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

DOCUMENT_CACHE_SIZE: Final = 1024


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _parse(query: str, **options: Any) -> DocumentNode:
    return parse(query, **options)


class DocumentCache(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            # On a syntax error strawberry parses the text again and reports it with its code.
            with contextlib.suppress(GraphQLError):
                context.graphql_document = _parse(context.query, **context.parse_options)
        yield
