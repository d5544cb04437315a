"""Running a single-node test module again on the Citus cluster: a module under tests/citus
star-imports its tests and fixtures, and takes its marks plus `citus` from here."""

from types import ModuleType

import pytest


def citus_marks(module: ModuleType) -> list[pytest.MarkDecorator]:
    """`module`'s own `pytestmark` (a mark or a list of them), then the `citus` mark."""
    marks = getattr(module, "pytestmark", [])
    return [*(marks if isinstance(marks, list) else [marks]), pytest.mark.citus]
