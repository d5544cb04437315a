"""The profile tables' rollups, thresholds and data version, on a Citus cluster: the same tests as
`tests/db/test_profiles.py`, whose fixtures here reach the cluster's database
(tests/citus/conftest.py)."""

import tests.db.test_profiles as single_node
from tests.citus.rerun import citus_marks
from tests.db.test_profiles import *  # noqa: F403

# The star import brought the module's own mark; this list replaces it (its marks + citus).
pytestmark = citus_marks(single_node)  # type: ignore[assignment]
