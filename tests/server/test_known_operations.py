"""What the response cache remembers of operations stays bounded: by count, and by what their
plans hold (server/response_cache.py)."""

from typing import Any

from graphql import parse

from graph.extensions.prepared import prepare
from graph.extensions.response_cache import Reach
from server.response_cache import ResponseCache, _Known
from tests.graph.extensions.test_prepared import ROOTS, SCHEMA


async def _no_context(*_: Any) -> Any:
    raise AssertionError("not asked for in this test")


def _plan(fields: int) -> Any:
    selection = " ".join(f"a{index}: name" for index in range(fields))
    return prepare(SCHEMA._schema, parse(f"{{ items {{ {selection} }} }}"), None, ROOTS)


def test_plans_are_forgotten_past_their_byte_bound() -> None:
    plan = _plan(50)
    assert plan is not None
    cache = ResponseCache(None, None, _no_context, max_prepared_bytes=plan.cost * 3)  # type: ignore[arg-type]
    for index in range(10):
        cache._remember((f"document{index}", None), _Known(Reach.SHARED, None, plan))
        assert cache.prepared_bytes <= plan.cost * 3
    assert cache.known_operations == 3
    # Learning one again replaces it: its cost is not counted twice.
    cache._remember(("document9", None), _Known(Reach.SHARED, None, plan))
    assert (cache.known_operations, cache.prepared_bytes) == (3, plan.cost * 3)


def test_operations_without_a_plan_are_bounded_by_count() -> None:
    cache = ResponseCache(None, None, _no_context, max_known_operations=5)  # type: ignore[arg-type]
    for index in range(20):
        cache._remember((f"document{index}", None), _Known(Reach.PUBLIC, None))
    assert (cache.known_operations, cache.prepared_bytes) == (5, 0)
