"""The cost of a document with its fragments expanded, measured without expanding them."""

import time

from graphql import DocumentNode, OperationDefinitionNode, parse

from graph.extensions.document_cost import SATURATED, measure, overlapping_pairs


def root_count(document: DocumentNode, names: set[str]) -> int:
    (operation,) = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return measure(document).root_field_count(operation, frozenset(names))


def test_spreads_add_their_fragment_each_time() -> None:
    document = parse("query { ...A ...A } fragment A on Query { x: viewer { role } }")
    operation = measure(document).operations[None]
    assert (operation.depth, operation.aliases, operation.selections) == (1, 2, 6)
    assert root_count(document, {"viewer"}) == 2


def test_depth_counts_fields_with_selections_through_fragments() -> None:
    document = parse(
        "query Deep { a { ...B } } fragment B on T { b { c { ...D } } } fragment D on T { d }"
    )
    assert measure(document).operations["Deep"].depth == 3


def test_introspection_fields_do_not_count_as_depth() -> None:
    document = parse("{ __schema { types { fields { type { ofType { name } } } } } }")
    cost = measure(document).operations[None]
    assert cost.depth == 0
    assert cost.selections == 6


def test_root_fields_count_every_copy_however_deep_the_fragment() -> None:
    chain = " ".join(f"fragment M{i} on Mutation {{ ...M{i + 1} }}" for i in range(30))
    document = parse(
        f"mutation {{ ...M0 ... on Mutation {{ ...M0 }} }} {chain} "
        "fragment M30 on Mutation { a: login b: login signUp { x } }"
    )
    assert (root_count(document, {"login"}), root_count(document, {"signUp"})) == (4, 2)
    assert root_count(document, {"login", "signUp", "me"}) == 6


def test_fields_below_the_root_are_not_root_fields() -> None:
    document = parse("{ viewer { login } __schema { login } ...A } fragment A on Query { me }")
    assert root_count(document, {"viewer", "__schema", "me"}) == 3
    assert root_count(document, {"login"}) == 0


def test_a_two_to_the_four_hundred_expansion_is_measured_at_once_and_saturates() -> None:
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(400))
    document = parse(f"{{ ...F0 }} {chain} fragment F400 on Query {{ a: __typename }}")
    started = time.process_time()
    cost = measure(document).operations[None]
    assert time.process_time() - started < 0.05
    assert cost.selections == cost.aliases == SATURATED


def test_a_cycle_is_reported_and_an_undefined_fragment_adds_only_its_spread() -> None:
    assert measure(
        parse("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    ).has_cycle
    undefined = measure(parse("{ ...A } fragment A on Query { x ...Missing }"))
    assert not undefined.has_cycle
    assert undefined.operations[None].selections == 3  # the spreads, and `x`


def _pairs(text: str, limit: int = 10_000) -> int:
    document = parse(text)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return overlapping_pairs(measure(document), operation.selection_set, limit=limit)


def test_overlapping_pairs_count_same_named_fields_at_every_merged_level() -> None:
    assert _pairs("{ a b c }") == 0
    assert _pairs("{ a { b } a { b } }") == 2  # the two `a`, then their two `b`
    assert _pairs("{ x: a y: a }") == 0  # different response names never merge
    assert _pairs("{ ...F ...F ...F } fragment F on Query { a }") == 3


def test_overlapping_pairs_stop_counting_past_the_limit() -> None:
    # 2^30 expanded fields: only the walk up to the limit is made.
    chain = " ".join(
        f"fragment F{i} on Query {{ a {{ ...F{i + 1} }} a {{ ...F{i + 1} }} }}" for i in range(30)
    )
    started = time.process_time()
    assert _pairs(f"{{ ...F0 }} {chain} fragment F30 on Query {{ b }}", limit=100) > 100
    assert time.process_time() - started < 0.05
