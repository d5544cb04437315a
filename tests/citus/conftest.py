"""The Citus cluster for `-m citus` tests (tests/citus/cluster.py): built when missing,
started once per session, stopped at its end."""

from collections.abc import Iterator

import asyncpg
import pytest

from db.migrations import apply_migrations
from tests.citus.cluster import CitusServers, citus_is_installed, citus_servers, form_cluster

# Building Citus takes about 90 s on a 2-core machine, in the setup of the first test that
# needs the cluster; pytest-timeout counts setup, so that test gets this much instead.
_TIMEOUT_WHEN_BUILDING = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if citus_is_installed():
        return
    first = next((item for item in items if item.get_closest_marker("citus")), None)
    if first is not None:
        first.add_marker(pytest.mark.timeout(_TIMEOUT_WHEN_BUILDING))


@pytest.fixture(scope="session")
def citus_nodes() -> Iterator[CitusServers]:
    """A coordinator and two workers running Citus (not yet joined into a cluster)."""
    with citus_servers() as servers:
        yield servers


@pytest.fixture(scope="session")
async def citus_dsn(citus_nodes: CitusServers) -> str:
    """The coordinator's DSN (database `postgres`), with both workers added."""
    await form_cluster(citus_nodes)
    return citus_nodes.coordinator.dsn


@pytest.fixture(scope="session")
async def database_dsn(citus_dsn: str) -> str:
    """The suite's database for tests under tests/citus: the cluster's, migrated, so laid out
    (db/citus.py). Every fixture of tests/conftest.py built on it (pool, app, gql, live
    server) then runs on Citus."""
    conn = await asyncpg.connect(citus_dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return citus_dsn
