"""Plain-English totals against a recount of the demo profiles, on a Citus cluster: the same tests
as `tests/graph/profiles/test_plain_english_totals.py`, whose fixtures here reach the cluster's
database (tests/citus/conftest.py)."""

import tests.graph.profiles.test_plain_english_totals as single_node
from tests.citus.rerun import citus_marks
from tests.graph.profiles.test_plain_english_totals import *  # noqa: F403

# The star import brought the module's own mark; this list replaces it (its marks + citus).
pytestmark = citus_marks(single_node)  # type: ignore[assignment]
