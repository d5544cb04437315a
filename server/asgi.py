"""The app as an import string, for `insighta serve --workers N`: uvicorn's supervisor starts
each worker as a fresh (spawned) interpreter that imports this factory and calls it."""

from starlette.applications import Starlette

from server.app import create_app
from services.platform.settings import Settings
from services.platform.structured_logging import configure_logging


def create_worker_app() -> Starlette:
    # A spawned worker inherits no logging set-up, only the environment, which the parent
    # has already completed (DATABASE_URL of its embedded server).
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(settings)
