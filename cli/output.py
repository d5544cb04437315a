"""Where client commands write: results to stdout, messages and progress to stderr, and every
expected failure as one readable message with a documented exit code.

Text taken from data (names, CSV cells, file names, server messages) is printed only through
`inert`/`print_inert`: never parsed as Rich markup, and with every control character shown as an
escape, so a cell holding "\\x1b[31m" cannot recolour, move the cursor or retitle the terminal.
"""

import functools
import re
from collections.abc import Callable
from typing import Final, ParamSpec

import typer
from rich.console import Console
from rich.text import Text

from cli.errors import CommandError
from cli.exit_codes import ExitCode

P = ParamSpec("P")

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

# C0 (ESC among them, which starts every terminal escape sequence), DEL and C1 (0x9b is a
# one-byte CSI on some terminals), and the bidirectional overrides that reorder what is shown.
_CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(value: object, style: str = "") -> Text:
    """`value` as plain text: markup is not parsed and controls are shown as escapes.

    `"Ada\\x1b[31m [bold]"` -> the text `Ada\\x1b[31m [bold]`, the escape as four visible
    characters.
    """
    return Text(_CONTROLS.sub(_escape, str(value)), style=style)


def print_inert(console: Console, *parts: "str | Text", style: str = "") -> None:
    """Print `parts` as one line: strings are data (made inert), Text pieces are the command's
    own labels (their style kept, their text made inert as well)."""
    line = Text(style=style)
    for part in parts:
        line.append_text(
            inert(part.plain, str(part.style)) if isinstance(part, Text) else inert(part)
        )
    console.print(line)


def reports_errors(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command; a CommandError becomes `error: [CODE] message`, its hint, its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except CommandError as error:
            code = f"[{error.code}] " if error.code else ""
            print_inert(stderr, Text("error:", "bold red"), f" {code}{error}")
            if error.hint:
                print_inert(stderr, error.hint, style="dim")
            raise typer.Exit(int(error.exit_code)) from None
        except KeyboardInterrupt:
            stderr.print("interrupted")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return run
