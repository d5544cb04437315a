"""Ingestion through a served process, a SIGKILL mid-job resumed with exact counts, on a Citus
cluster: the same tests as `tests/graph/ingestion/test_server.py`, whose fixtures here reach the
cluster's database (tests/citus/conftest.py)."""

import tests.graph.ingestion.test_server as single_node
from tests.citus.rerun import citus_marks
from tests.graph.ingestion.test_server import *  # noqa: F403

pytestmark = citus_marks(single_node)
