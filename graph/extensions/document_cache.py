"""Parse and validate each query text once: one LRU of parsed documents, bounded by bytes,
shared by all requests, with each document's validation results kept beside it.

Strawberry's own ParserCache parses inside the extension hook, so a syntax error escapes the
error handling that gives it a code (it reached clients with no `extensions.code`). Here a text
that does not parse is left to strawberry, which parses it again and reports it as usual;
errors are not cached, valid documents are.

Strawberry's ValidationCache is an lru_cache keyed by the document: it counted entries, not
bytes, kept each document (and through its Source the whole text) alive after this cache let
it go, and hashed the whole document tree on every lookup (graphql-core's nodes are frozen
dataclasses with a field-wise `__hash__`). `CachedValidation` keeps the errors on this cache's
entry instead, so one bound covers both and a hit is two dict lookups on the text, whose hash
the str object keeps after the first.

What an entry costs is estimated, not measured: the text (a parsed document keeps its Source,
so the whole text, comments included) plus `TOKEN_BYTES` per lexed token (the AST and its
Location/Token chain; tracemalloc measured 360-560 bytes per token on graphql-core 3.3).
"""

import contextlib
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import ASTValidationRule, DocumentNode, GraphQLError, get_operation_ast, parse
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graph.extensions.document_cost import DocumentCost, measure

# Total estimated bytes of the cached documents, per process.
DOCUMENT_CACHE_BYTES: Final = 16 << 20
# A document estimated above this (about 1,600 tokens) is parsed and validated for its request
# but not kept: one huge text must not push out the hot set of ordinary ones (a few hundred
# tokens, 0.1-0.2 MiB estimated).
MAX_CACHED_DOCUMENT_BYTES: Final = 1 << 20
TOKEN_BYTES: Final = 640
# Rule sets kept per document: IntrospectionSwitch (graph/extensions/limits.py) makes two
# stable ones; more would mean rule classes built per request, which must not grow an entry
# without end.
MAX_RULE_SETS: Final = 4

Rules = tuple[type[ASTValidationRule], ...]
_Key = tuple[str, tuple[tuple[str, Any], ...]]


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    cost: int  # estimated bytes held
    # What the document costs to run once expanded (graph/extensions/document_cost.py),
    # measured once.
    measured: DocumentCost | None = None
    validations: dict[Rules, list[GraphQLError]] = field(default_factory=dict)


class ParsedDocuments:
    """Parsed documents by (text, parse options), least recently used out first."""

    def __init__(self, *, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.bytes_held = 0
        self.hits = self.misses = self.validations = 0
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def parse(self, query: str, options: dict[str, Any]) -> DocumentNode:
        """The document for `query`, parsed at most once while it stays cached; raises
        GraphQLError on a syntax error (nothing is cached then)."""
        key = _key(query, options)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.document
        self.misses += 1
        document = parse(query, **options)
        cost = document_cost(query, document)
        if cost <= self.max_entry_bytes:
            self._entries[key] = _Entry(document, cost)
            self.bytes_held += cost
            while self.bytes_held > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.bytes_held -= evicted.cost
        return document

    def cost(self, query: str, options: dict[str, Any], document: DocumentNode) -> DocumentCost:
        """The document's expanded cost, measured once per cached document."""
        entry = self._entries.get(_key(query, options))
        if entry is None or entry.document is not document:
            return measure(document)
        if entry.measured is None:
            entry.measured = measure(document)
        return entry.measured

    def validate(
        self,
        query: str,
        options: dict[str, Any],
        document: DocumentNode,
        validate: Callable[[DocumentNode, Rules], list[GraphQLError]],
        rules: Rules,
    ) -> list[GraphQLError]:
        """`validate(document, rules)`'s errors, computed once per cached document and rules."""
        entry = self._entries.get(_key(query, options))
        if entry is None or entry.document is not document:
            return validate(document, rules)  # not cached: too large, or evicted
        errors = entry.validations.get(rules)
        if errors is None:
            self.validations += 1
            errors = validate(document, rules)
            if len(entry.validations) >= MAX_RULE_SETS:
                del entry.validations[next(iter(entry.validations))]
            entry.validations[rules] = errors
        # A copy: extensions after this one extend the errors of their own request.
        return list(errors)

    def clear(self) -> None:
        self._entries.clear()
        self.bytes_held = 0


def document_cost(query: str, document: DocumentNode) -> int:
    """Estimated bytes a cached document keeps alive: its text, its tokens, and the values the
    lexer copied out of the text (strings and comments: one astral character in a 100,000
    character string makes its copy 400 KB)."""
    tokens = values = 0
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        tokens += 1
        if token.value is not None and len(token.value) > 64:
            values += sys.getsizeof(token.value)
        token = token.next
    if document.loc is None:  # parsed without locations: count every character as a token
        tokens = len(query)
    return sys.getsizeof(query) + TOKEN_BYTES * tokens + values


def _key(query: str, options: dict[str, Any]) -> _Key:
    return query, tuple(sorted(options.items())) if options else ()


documents: Final = ParsedDocuments(
    max_bytes=DOCUMENT_CACHE_BYTES, max_entry_bytes=MAX_CACHED_DOCUMENT_BYTES
)


class DocumentCache(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            # On a syntax error strawberry parses the text again and reports it with its code.
            with contextlib.suppress(GraphQLError):
                context.graphql_document = documents.parse(
                    context.query, dict(context.parse_options)
                )
        yield


def root_field_count(execution: ExecutionContext, names: frozenset[str]) -> int:
    """How many times the operation being run selects any of `names` at its root, each copy
    counted (aliased, or spread from a fragment at any depth); 0 before it is parsed."""
    document = execution.graphql_document
    if document is None:
        return 0
    operation = get_operation_ast(document, getattr(execution, "_provided_operation_name", None))
    if operation is None:
        return 0
    cost = documents.cost(execution.query or "", dict(execution.parse_options), document)
    return cost.root_field_count(operation, names)
