"""The one formula-escaping rule, in Python and in PostgreSQL."""

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.platform.csv_formulas import (
    FORMULA_PATTERN,
    IGNORABLE,
    TRIGGERS,
    could_run_as_formula,
    escape_formula,
)

ESCAPED = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "＝1",
    "＋1",
    "－1",
    "＠A1",
    " =1+1",
    "   +1",
    "\u00a0=1",
    "\u200b=1",
    "\ufeff@SUM(A1)",
    "\u3000-1",
    "\u2007\u200d\u2060＝1",
    "\u202e=1",
]
KEPT = ["", "a = b", "Ada Obi", "'=already", "  plain", "\u200bplain", "1-2", "Mary-Jane", ","]


@pytest.mark.parametrize("cell", ESCAPED)
def test_cells_that_could_run_as_formulas_get_an_apostrophe(cell: str) -> None:
    assert escape_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", KEPT)
def test_other_cells_are_kept(cell: str) -> None:
    assert escape_formula(cell) == cell


def test_every_unicode_space_is_skipped() -> None:
    spaces = [chr(code) for code in range(0x110000) if chr(code).isspace()]
    assert set(spaces) <= set(IGNORABLE)


_cells = st.text(
    alphabet=st.sampled_from(list(TRIGGERS + IGNORABLE + "a1'\",")) | st.characters(codec="utf-8"),
    max_size=12,
)


@given(_cells)
def test_an_escaped_cell_never_starts_a_formula_and_escaping_is_idempotent(cell: str) -> None:
    escaped = escape_formula(cell)
    assert escaped in (cell, "'" + cell)
    assert not escaped.lstrip(IGNORABLE).startswith(tuple(TRIGGERS))
    assert escape_formula(escaped) == escaped


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(_cells.map(lambda cell: cell.replace("\x00", "")), max_size=20))
async def test_postgresql_reads_the_pattern_as_python_does(
    pool: asyncpg.Pool, cells: list[str]
) -> None:
    async with pool.acquire() as conn:
        matches = await conn.fetchval(
            "select coalesce(array_agg(cell ~ $2 order by n), '{}')"
            "  from unnest($1::text[]) with ordinality as cells(cell, n)",
            cells,
            FORMULA_PATTERN,
        )
    assert list(matches) == [could_run_as_formula(cell) for cell in cells]
