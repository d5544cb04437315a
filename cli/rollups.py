"""`insighta rollups check|rebuild`: are the totals and breakdowns exact, and mend them if not.

The write path keeps the rollups (services/profiles/rollups.py); these are for after a write
that bypassed it, such as rows deleted by hand in psql. `check` exits 1 (FAILED) when a rollup
differs from a recount of the rows, listing the first differences, so a cron job or a CI step
can act on it.
"""

from typing import TYPE_CHECKING

import typer

from cli.database import with_pool
from cli.errors import CommandError
from cli.exit_codes import ExitCode
from cli.output import print_inert, reports_errors, stdout

if TYPE_CHECKING:
    from db.rollups import RollupDifference
    from services.platform.database import ConnectionPool

rollups_app = typer.Typer(
    help="The rollups behind totals and breakdowns: compare with a recount, or rebuild."
)


@rollups_app.command()
@reports_errors
def check() -> None:
    """Compare every rollup with a recount of the profiles (a full scan); exit 1 on a
    difference."""
    from db.rollups import KEY_SHAPES
    from services.profiles import rollups

    async def work(pool: "ConnectionPool") -> "list[RollupDifference]":
        return await rollups.check(pool)

    differences = with_pool(work)
    if not differences:
        print_inert(stdout, "rollups exact: every count equals a recount of the profiles")
        return
    differing: dict[str, int] = {}
    for difference in differences:
        if difference.rollup not in differing:
            differing[difference.rollup] = difference.differing
            rows = (
                "1 row differs"
                if difference.differing == 1
                else f"{difference.differing:,} rows differ"
            )
            shape = KEY_SHAPES.get(difference.rollup, "key")
            print_inert(stdout, f"{difference.rollup} ({shape}): {rows}")
        print_inert(
            stdout,
            f"  {difference.key}: stored {difference.stored}, recounted {difference.recounted}",
        )
    raise CommandError(
        f"{sum(differing.values()):,} rollup rows differ from a recount, in {len(differing)}"
        " of the 4 rollups",
        ExitCode.FAILED,
        hint="`insighta rollups rebuild` recounts them (writers wait while it runs).",
    )


@rollups_app.command()
@reports_errors
def rebuild() -> None:
    """Recount every rollup from the profiles; writers wait until it commits, reads go on."""
    from services.profiles import rollups

    async def work(pool: "ConnectionPool") -> int:
        return await rollups.rebuild(pool)

    print_inert(stdout, f"rollups rebuilt from {with_pool(work):,} profiles")
