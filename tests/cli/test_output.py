"""Data printed by the CLI is text: no Rich markup parsed, no control character let through."""

import io

import pytest
from rich.console import Console
from rich.text import Text

from cli.output import inert, print_inert


def _printed(*parts: "str | Text") -> str:
    out = io.StringIO()
    # A real terminal's console, so that styles of our own do produce escape sequences.
    print_inert(Console(file=out, force_terminal=True, color_system="standard", width=200), *parts)
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),  # CSI: colours
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),  # OSC: the window title
        ("a\x9bb", "a\\x9bb"),  # C1 CSI
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("del\x7f", "del\\x7f"),
        ("\u202eevil", "\\u202eevil"),  # right-to-left override
        ("[bold]Ada[/bold] Ọbí", "[bold]Ada[/bold] Ọbí"),
    ],
)
def test_controls_are_shown_as_escapes_and_markup_as_text(value: str, shown: str) -> None:
    assert inert(value).plain == shown
    printed = _printed(value)
    assert printed == shown + "\n"


def test_only_the_commands_own_labels_are_styled() -> None:
    printed = _printed(Text("name", "bold"), " [red]x\x1b[0m")
    assert printed == "\x1b[1mname\x1b[0m [red]x\\x1b[0m\n"
