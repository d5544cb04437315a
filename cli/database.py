"""Commands that talk to the database directly, like `migrate`, since the server need not be
running: `insighta org ...` and `insighta rollups ...`."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from cli.errors import CommandError
from cli.exit_codes import exit_code_for
from services.errors import ServiceError
from services.platform.interrupts import run_interruptibly
from services.platform.settings import Settings

if TYPE_CHECKING:
    from services.platform.database import ConnectionPool

T = TypeVar("T")


def with_pool(work: Callable[["ConnectionPool"], Awaitable[T]]) -> T:
    """Run `work` on a small pool of the database the settings name; a ServiceError becomes a
    CommandError with the exit code of its code."""
    from services.platform.database import open_database

    async def run() -> T:
        database = await open_database(Settings.from_env(), max_size=2)
        try:
            return await work(database.pool)
        finally:
            await database.close()

    try:
        return run_interruptibly(run())
    except ServiceError as error:
        code = error.code.value
        raise CommandError(str(error), exit_code_for(code), code=code) from None
