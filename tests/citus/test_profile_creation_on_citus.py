"""createProfile(s) and deleteProfile with exact totals, on a Citus cluster: the same tests as
`tests/graph/profiles/test_creation.py`, whose fixtures here reach the cluster's database
(tests/citus/conftest.py)."""

import tests.graph.profiles.test_creation as single_node
from tests.citus.rerun import citus_marks
from tests.graph.profiles.test_creation import *  # noqa: F403

pytestmark = citus_marks(single_node)
