"""The profile API (filters, plain English, sorts and keyset walks, totals, breakdowns), on a Citus
cluster: the same tests as `tests/graph/profiles/test_schema.py`, whose fixtures here reach the
cluster's database (tests/citus/conftest.py)."""

import tests.graph.profiles.test_schema as single_node
from tests.citus.rerun import citus_marks
from tests.graph.profiles.test_schema import *  # noqa: F403

# The star import brought the module's own mark; this list replaces it (its marks + citus).
pytestmark = citus_marks(single_node)  # type: ignore[assignment]
