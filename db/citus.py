"""The distributed layout on Citus, laid out by `apply_migrations` when the database is a Citus
coordinator with workers (docs/operations.md, "Hundreds of millions of profiles: Citus").

- `profiles` is distributed by `name_key`: Citus enforces a unique index only when it holds the
  distribution column, and the unique name is what ingestion's `ON CONFLICT (name_key)` rests
  on. Its primary key becomes `(name_key, id)` for the same reason, with a plain index on `id`
  for `profile(id)`; ids stay unique by construction (UUIDv7 made by the server).
- The rollups and `data_version` become reference tables (a copy on every node): totals are
  answered on the coordinator without touching a shard.
- Everything else stays local to the coordinator.

The number of shards is Citus's own setting, `citus.shard_count` (32 by default; about twice
the workers' cores is right for a small cluster). Idempotent: a database already laid out is
left as it is, and a Citus database without workers stays a single node.
"""

import logging
from typing import Final

from db.pool import Connection

logger = logging.getLogger(__name__)

HAS_CITUS: Final = "select exists (select 1 from pg_extension where extname = 'citus')"
# Only asked when the extension exists: these functions and catalogs come with it.
CLUSTER_STATE: Final = """
select citus_is_coordinator() as coordinator,
       (select count(*) from pg_dist_node
         where noderole = 'primary' and isactive and groupid <> 0) as workers,
       exists (select 1 from pg_dist_partition
                where logicalrelid = 'profiles'::regclass) as laid_out
"""
REFERENCE_TABLES: Final = (
    "data_version",
    "profile_counts",
    "profile_totals",
    "profile_probability_histograms",
    "profile_country_probability_histograms",
)
# Functions that statements over profiles and the rollups call: the shards and the reference
# tables' copies run them on the workers (a database migrated before Citus came has them on the
# coordinator only; one created later is sent to the workers by Citus itself).
_DISTRIBUTE_FUNCTIONS: Final = """
select create_distributed_function(to_regprocedure(f))
  from unnest(array['probability_bucket(double precision)',
                    'age_group_start(smallint)',
                    'histogram_add(bigint[], smallint[], bigint[])']) as f
 where to_regprocedure(f) is not null
"""
_DISTRIBUTE_PROFILES: Final = (
    _DISTRIBUTE_FUNCTIONS,
    "alter table profiles drop constraint profiles_pkey",
    "alter table profiles add primary key (name_key, id)",
    "create index profiles_id_idx on profiles (id)",
    "select create_distributed_table('profiles', 'name_key')",
    # The rows were copied into the shards; the coordinator's own copy is then dead weight.
    "select truncate_local_data_after_distributing_table('profiles')",
)
_MAKE_REFERENCE: Final = "select create_reference_table($1::regclass)"
# Tables of REFERENCE_TABLES that exist and are not reference tables yet: a later migration
# added them on a database laid out before it (or an earlier one has not made them yet).
_NOT_YET_REFERENCE: Final = """
select name
  from unnest($1::text[]) with ordinality as t(name, position)
 where to_regclass(t.name) is not null
   and not exists (select 1 from pg_dist_partition where logicalrelid = to_regclass(t.name))
 order by position
"""
_TRUNCATE_LOCAL: Final = "select truncate_local_data_after_distributing_table($1::regclass)"


async def is_distributed(conn: Connection) -> bool:
    """Whether `profiles` is a distributed table (this database is laid out on Citus)."""
    if not await conn.fetchval(HAS_CITUS):
        return False
    state = await conn.fetchrow(CLUSTER_STATE)
    assert state is not None
    return bool(state["laid_out"])


async def lay_out(conn: Connection) -> bool:
    """Distribute `profiles` and make the rollups reference tables, when this database is a
    Citus coordinator with workers and is not laid out yet. Returns whether it did. On a
    database laid out already, rollups added since become reference tables too."""
    if not await conn.fetchval(HAS_CITUS):
        return False
    state = await conn.fetchrow(CLUSTER_STATE)
    assert state is not None
    if not state["coordinator"] or state["workers"] == 0:
        return False
    async with conn.transaction():
        if not state["laid_out"]:
            for statement in _DISTRIBUTE_PROFILES:
                await conn.execute(statement)
        tables = [r["name"] for r in await conn.fetch(_NOT_YET_REFERENCE, REFERENCE_TABLES)]
        for table in tables:
            await conn.execute(_MAKE_REFERENCE, table)
            await conn.execute(_TRUNCATE_LOCAL, table)
    if state["laid_out"]:
        if tables:
            logger.info("made new rollups reference tables", extra={"tables": tables})
        return False
    logger.info("laid out on citus", extra={"workers": state["workers"]})
    return True
