"""What a GraphQL document costs once its fragments are expanded, measured without expanding.

A fragment spread twice in each of a chain of forty fragments is a 1.5 KB document that
expands to 2^40 fields. Any walker that follows spreads (a depth rule, an alias count, the
per-IP count of account operations) must therefore visit each fragment definition once and
multiply: `measure` summarises every fragment once, in dependency order, and adds a
fragment's summary wherever it is spread. Its cost grows with the document's length, never
with its expansion. Counts saturate at `SATURATED`, far above every limit, so a bomb's numbers
stay small integers.

A spread of a fragment that does not exist adds nothing (validation reports it). Fragments
that spread each other in a cycle cannot be summed: `DocumentCost.has_cycle` says so, and the
document must be refused before anything else walks it.
"""

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

SATURATED: Final = 1 << 40


@dataclass(frozen=True, slots=True)
class SelectionCost:
    """One operation's (or fragment's) selections with every fragment spread expanded."""

    # Nesting of fields that have selections; introspection fields (`__schema`, `__type`...)
    # count as leaves, so GraphiQL's schema query passes a depth limit meant for data.
    depth: int = 0
    aliases: int = 0
    # Fields, inline fragments and spreads: what a walker visits. A spread counts even when it
    # names no fragment, or one that selects nothing: a chain of bare spreads is still 2^n
    # steps to walk.
    selections: int = 0


@dataclass(frozen=True, slots=True)
class DocumentCost:
    operations: Mapping[str | None, SelectionCost]
    # Each fragment as if it were an operation (validation walks every definition).
    fragment_costs: Mapping[str, SelectionCost]
    has_cycle: bool
    # Two operations, or two fragments, of one name (or several anonymous operations): the
    # maps above would hide one of them, so such a document must be refused unmeasured.
    has_duplicate_names: bool
    # The most arguments, or directives, on one node: graphql-core reports repeated ones as
    # one error locating every copy, each location a scan of the text (1,600 copies: 60 ms).
    widest: int
    fragments: Mapping[str, SelectionSetNode]
    _operation_walks: Mapping[str | None, "_Walk"]
    _fragment_walks: Mapping[str, "_Walk"]
    _order: tuple[str, ...]  # fragments after those they spread

    def of(self, operation: OperationDefinitionNode) -> SelectionCost:
        return self.operations[operation.name.value if operation.name else None]

    def root_field_count(self, operation: OperationDefinitionNode, names: frozenset[str]) -> int:
        """How many times the operation selects any of `names` at its root, every copy
        counted: aliased, or spread from a fragment at any depth.

        Only the names asked for are summed, so a fragment of 900 root fields spread 300
        times costs 300 additions, not 270,000.
        """
        per_fragment: dict[str, int] = {}
        for name in self._order:
            per_fragment[name] = self._count(self._fragment_walks[name], names, per_fragment)
        key = operation.name.value if operation.name else None
        return self._count(self._operation_walks[key], names, per_fragment)

    @staticmethod
    def _count(walk: "_Walk", names: frozenset[str], per_fragment: Mapping[str, int]) -> int:
        count = sum(walk.root_fields[name] for name in names if name in walk.root_fields)
        for spread in walk.spreads:
            if spread.at_root:
                count += per_fragment.get(spread.fragment, 0)
        return min(count, SATURATED)


@dataclass(slots=True)
class _Walk:
    """One definition's own selections, and where it spreads which fragment."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0
    widest: int = 0
    root_fields: Counter[str] = field(default_factory=Counter)
    spreads: list["_Spread"] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Spread:
    fragment: str
    nesting: int  # fields with selections around the spread
    in_introspection: bool
    at_root: bool  # among the definition's own top-level selections


def measure(document: DocumentNode) -> DocumentCost:
    """Depth, aliases and selections of every operation and fragment, fragments expanded.

    `query { ...A ...A } fragment A on Query { x: viewer { role } }` costs depth 1, aliases 2,
    selections 6 (two spreads, each adding a fragment of two fields).
    """
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    walks = {name: _walk(fragment.selection_set) for name, fragment in fragments.items()}
    order = tuple(_dependency_order(walks))
    summaries: dict[str, SelectionCost] = {}
    for name in order:
        summaries[name] = _summarise(walks[name], summaries)
    operation_nodes = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    operation_walks = {
        definition.name.value if definition.name else None: _walk(definition.selection_set)
        for definition in operation_nodes
    }
    operations = {key: _summarise(walk, summaries) for key, walk in operation_walks.items()}
    fragment_count = sum(isinstance(d, FragmentDefinitionNode) for d in document.definitions)
    return DocumentCost(
        operations=operations,
        fragment_costs=summaries,
        has_cycle=len(summaries) < len(fragments),
        has_duplicate_names=(
            len(operations) < len(operation_nodes) or len(fragments) < fragment_count
        ),
        widest=max(
            (walk.widest for walk in (*walks.values(), *operation_walks.values())), default=0
        ),
        fragments={name: fragment.selection_set for name, fragment in fragments.items()},
        _operation_walks=operation_walks,
        _fragment_walks=walks,
        _order=order,
    )


def overlapping_pairs(cost: DocumentCost, selection_set: SelectionSetNode, *, limit: int) -> int:
    """How many pairs of same-named fields validation compares to prove they can merge.

    GraphQL's "fields can merge" rule compares every two fields answering under one name, and
    then, pair by pair, their sub-selections: `{ a { b } a { b } }` is one pair at the root and
    one below. This walks the merged selection tree, so call it only when `cost` has no
    cycle and a bounded expanded size. It stops counting past `limit`.
    """
    fragments = cost.fragments
    pairs = 0
    groups: deque[list[SelectionSetNode]] = deque([[selection_set]])
    while groups and pairs <= limit:
        by_name: defaultdict[str, list[FieldNode]] = defaultdict(list)
        for selection_set in groups.popleft():
            for node in _fields_of(selection_set, fragments):
                by_name[(node.alias or node.name).value].append(node)
        for same_name in by_name.values():
            pairs += len(same_name) * (len(same_name) - 1) // 2
            children = [node.selection_set for node in same_name if node.selection_set]
            if children:
                groups.append(children)
    return pairs


def _fields_of(
    selection_set: SelectionSetNode, fragments: Mapping[str, SelectionSetNode]
) -> Iterator[FieldNode]:
    """The fields a selection set holds at its own level, through fragments of any depth."""
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spread = fragments.get(selection.name.value)
                if spread is not None:
                    pending.append(spread)


def _walk(selection_set: SelectionSetNode) -> _Walk:
    """One pass over a definition's own nodes (no spread followed), without recursion."""
    walk = _Walk()
    # (selection set, field nesting of its selections, inside an introspection field, at root)
    pending: list[tuple[SelectionSetNode, int, bool, bool]] = [(selection_set, 0, False, True)]
    while pending:
        selections, nesting, frozen, at_root = pending.pop()
        for selection in selections.selections:
            walk.widest = max(walk.widest, len(selection.directives or ()))
            if isinstance(selection, FieldNode):
                walk.selections += 1
                walk.widest = max(walk.widest, len(selection.arguments or ()))
                walk.aliases += selection.alias is not None
                if at_root:
                    walk.root_fields[selection.name.value] += 1
                if selection.selection_set is None:
                    walk.depth = max(walk.depth, nesting)
                    continue
                inside = frozen or selection.name.value.startswith("__")
                below = nesting if inside else nesting + 1
                walk.depth = max(walk.depth, below)
                pending.append((selection.selection_set, below, inside, False))
            elif isinstance(selection, InlineFragmentNode):
                walk.selections += 1
                pending.append((selection.selection_set, nesting, frozen, at_root))
            elif isinstance(selection, FragmentSpreadNode):
                walk.selections += 1
                walk.spreads.append(_Spread(selection.name.value, nesting, frozen, at_root))
    return walk


def _dependency_order(walks: Mapping[str, _Walk]) -> Iterable[str]:
    """Fragments ordered so that each comes after those it spreads (Kahn's algorithm).

    Fragments in a cycle, or that spread one in a cycle, are left out: nothing can be summed
    for them. Undefined fragments are not waited for.
    """
    waiting_on = {
        name: {spread.fragment for spread in walk.spreads if spread.fragment in walks}
        for name, walk in walks.items()
    }
    spread_by: defaultdict[str, set[str]] = defaultdict(set)
    for name, needed in waiting_on.items():
        for spread in needed:
            spread_by[spread].add(name)
    ready = deque(name for name, needed in waiting_on.items() if not needed)
    while ready:
        name = ready.popleft()
        yield name
        for dependant in spread_by[name]:
            needed = waiting_on[dependant]
            needed.discard(name)
            if not needed:
                ready.append(dependant)


def _summarise(walk: _Walk, summaries: Mapping[str, SelectionCost]) -> SelectionCost:
    depth, aliases, selections = walk.depth, walk.aliases, walk.selections
    for spread in walk.spreads:
        spread_cost = summaries.get(spread.fragment)
        if spread_cost is None:
            continue  # undefined: validation reports it
        nesting = spread.nesting
        depth = max(depth, nesting if spread.in_introspection else nesting + spread_cost.depth)
        aliases = min(aliases + spread_cost.aliases, SATURATED)
        selections = min(selections + spread_cost.selections, SATURATED)
    return SelectionCost(depth=depth, aliases=aliases, selections=selections)
