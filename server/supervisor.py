"""`insighta serve --workers N`: prepare once in this process, then run N server processes.

The parent does what must happen once: start the embedded PostgreSQL (and hold it until the
workers are gone), apply migrations, load the demo profiles into a database created now, make
the secret key, print the banner. Workers find all of it through the environment and the data
dir, and each serves like a single-process server. uvicorn's supervisor (0.54) replaces a
worker that dies or stops answering its health ping, and on SIGINT/SIGTERM stops them all
with SIGTERM and waits for them, so the embedded server stops only after the last one.
"""

import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from server.options import uvicorn_options
from services.platform.database import Database, open_database
from services.platform.interrupts import run_interruptibly
from services.platform.settings import Secret, Settings
from services.profiles.seed import seed_demo_profiles

logger = logging.getLogger(__name__)

WORKER_APP = "server.asgi:create_worker_app"
# A worker answers the supervisor's health ping only once its imports are done: 2-3 s on an
# idle machine, 8-16 s measured on a busy 2-core one. uvicorn's 5 s default then kills every
# worker before it starts; a hung worker is still replaced, a minute later.
HEALTHCHECK_SECONDS: Final = 60

Announce = Callable[[Settings, Secret], None]


def serve_workers(
    settings: Settings, *, host: str, port: int, workers: int, announce: Announce
) -> int:
    """Run `workers` server processes until SIGINT/SIGTERM; the exit code to end with."""
    database = _prepare_unless_stopped(settings)
    metrics_dir: Path | None = None
    try:
        if database.embedded is not None:
            # Spawned workers inherit the environment: they connect to our server and start none.
            os.environ["DATABASE_URL"] = database.dsn.reveal()
        if settings.metrics_multiprocess_dir is None:
            # Workers write their metrics here and /metrics sums them (prometheus_client's
            # multiprocess mode reads the variable at import, in each spawned worker).
            metrics_dir = Path(tempfile.mkdtemp(prefix="insighta-metrics-"))
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        if settings.redis_url is None:
            logger.warning(
                "REDIS_URL is unset: rate limits and persisted queries are kept per process",
                extra={"workers": workers},
            )
        announce(settings, settings.resolved_secret_key())
        config = uvicorn.Config(
            WORKER_APP,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
            **uvicorn_options(settings),
        )
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        supervisor.run()
        # The supervisor gives up when a worker fails before serving (it would fail again).
        failed = any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes)
        return STARTUP_FAILURE if failed else 0
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if database.embedded is not None:
            database.embedded.stop()


def _prepare_unless_stopped(settings: Settings) -> Database:
    """`_prepare`, ended cleanly by SIGTERM as by SIGINT: by default SIGTERM would kill this
    process outright and leave the embedded server it had just started running for nobody."""

    def stop_preparing(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop_preparing)
    try:
        return run_interruptibly(_prepare(settings))
    finally:
        signal.signal(signal.SIGTERM, previous)


async def _prepare(settings: Settings) -> Database:
    database = await open_database(settings, max_size=2)
    try:
        if database.created_now and database.embedded is not None:
            result = await seed_demo_profiles(database.pool)
            logger.info("loaded the demo profiles", extra={"inserted": result.inserted})
        settings.resolved_secret_key()  # made here once, not raced by the workers
    except BaseException:
        await database.close()
        raise
    await database.close_pools()
    return database
