"""`insighta migrate` and `insighta seed`: the database's schema, the demo profiles and
generated ones. They talk to the database directly (the server need not run)."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.platform.interrupts import run_interruptibly
from services.platform.settings import Settings
from services.platform.structured_logging import configure_logging
from services.profiles.synthetic import SyntheticProfiles

if TYPE_CHECKING:
    from services.platform.database import Database

console = Console()


def migrate() -> None:
    """Apply pending database migrations."""
    from services.platform.database import open_database

    configure_logging(Settings.from_env().log_format)

    async def run() -> None:
        database = await open_database(Settings.from_env(), max_size=2)
        await database.close()

    run_interruptibly(run())
    console.print("migrations applied")


def seed(
    synthetic: Annotated[
        int | None,
        typer.Option(help="Add N generated profiles instead of the demo ones", min=0),
    ] = None,
    seed: Annotated[int, typer.Option(help="Generator seed: equal seeds give equal rows")] = 1,
) -> None:
    """Load the 2026 demo profiles (names already stored are left alone), or N generated ones."""
    from services.platform.database import open_database
    from services.profiles.seed import seed_demo_profiles

    configure_logging(Settings.from_env().log_format)
    capacity = SyntheticProfiles(seed).capacity
    if synthetic is not None and synthetic > capacity:
        raise typer.BadParameter(
            f"one seed makes at most {capacity:,} distinct names; load more with several seeds",
            param_hint="--synthetic",
        )

    async def run() -> None:
        database = await open_database(Settings.from_env(), max_size=2)
        try:
            if synthetic is None:
                result = await seed_demo_profiles(database.pool)
                console.print(
                    f"demo profiles: {result.inserted} inserted,"
                    f" {result.already_present} already present"
                )
            else:
                await _seed_synthetic(database, synthetic, seed)
        finally:
            await database.close()

    run_interruptibly(run())


async def _seed_synthetic(database: "Database", count: int, seed: int) -> None:
    from services.profiles.bulk_load import load_synthetic_profiles

    with Progress(
        TextColumn("synthetic profiles"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("load", total=count)
        load = await load_synthetic_profiles(
            database.pool,
            count,
            seed=seed,
            on_progress=lambda rows: progress.update(task, completed=rows),
        )
    path = "bulk (empty table: indexes rebuilt)" if load.bulk else "batches"
    console.print(
        f"synthetic profiles: {load.inserted} inserted, {load.skipped} already present"
        f" ({path}, {load.seconds:.1f} s, {load.rows_per_second:,.0f} rows/s)"
    )


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(seed)
