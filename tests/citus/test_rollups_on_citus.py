"""Random interleavings of concurrent writers leave every rollup exact, on a Citus cluster: the
same tests as `tests/db/test_rollups.py`, whose fixtures here reach the cluster's database
(tests/citus/conftest.py)."""

import tests.db.test_rollups as single_node
from tests.citus.rerun import citus_marks
from tests.db.test_rollups import *  # noqa: F403

pytestmark = citus_marks(single_node)
