"""Ingestion with duplicates and concurrent jobs, rollups exact, on a Citus cluster: the same tests
as `tests/graph/ingestion/test_concurrency.py`, whose fixtures here reach the cluster's database
(tests/citus/conftest.py)."""

import tests.graph.ingestion.test_concurrency as single_node
from tests.citus.rerun import citus_marks
from tests.graph.ingestion.test_concurrency import *  # noqa: F403

# The star import brought the module's own mark; this list replaces it (its marks + citus).
pytestmark = citus_marks(single_node)  # type: ignore[assignment]

# Not on Citus: the first holds every answer read during a write to one committed state, and
# Citus has no distributed snapshot: a read may see a batch on some shards (and in the rollups
# on the coordinator) before others (docs/operations.md, "Hundreds of millions of profiles:
# Citus"). The other two find a batch waiting on a lock in the coordinator's pg_stat_activity,
# where Citus shows no lock wait (the batch waits on a worker). Once writes commit, rows, totals
# and rollups are exact, as the tests kept here check (concurrent overlapping jobs, keyset walks
# meanwhile), and tests/citus/test_ingestion_server_on_citus.py resumes a job after a SIGKILL.
del test_answers_during_ingestion_are_committed_states_never_older_than_the_last_commit  # noqa: F821
del test_batches_cancelled_mid_write_leave_exact_rows_counts_and_rollups  # noqa: F821
del test_a_name_taken_by_another_writer_after_the_lookup_is_a_duplicate_once  # noqa: F821
