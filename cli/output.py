"""Where client commands write: results to stdout, messages and progress to stderr, and every
expected failure as one readable message with a documented exit code."""

import functools
from collections.abc import Callable
from typing import ParamSpec

import typer
from rich.console import Console
from rich.markup import escape

from cli.client import CommandError
from cli.exit_codes import ExitCode

P = ParamSpec("P")

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command; a CommandError becomes `error: [CODE] message` and its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except CommandError as error:
            code = f"[{error.code}] " if error.code else ""
            stderr.print(f"[bold red]error:[/bold red] {escape(code + str(error))}")
            if error.hint:
                stderr.print(escape(error.hint), style="dim")
            raise typer.Exit(int(error.exit_code)) from None
        except KeyboardInterrupt:
            stderr.print("interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return run
