"""`insighta bench ARGS...`: the side-by-side benchmark (Insighta beside PostGraphile and a bare
Starlette endpoint, docs/performance.md), run as `python -m bench.peers ARGS...` in a
subprocess from the source checkout this command was installed from.

The product never imports bench/ (an import-linter contract; the wheel does not ship it), so
the command only finds the folder and forwards its arguments; outside a checkout it says so.
"""

import subprocess
import sys
from pathlib import Path
from typing import Final

import typer

from cli.exit_codes import ExitCode
from cli.output import stderr

# The checkout holding this package: cli/ and bench/ sit side by side in it.
CHECKOUT: Final = Path(__file__).resolve().parents[1]


def bench_command(checkout: Path, arguments: list[str]) -> list[str] | None:
    """The command that runs the benchmark with `arguments`, or None without bench/ there."""
    if not (checkout / "bench" / "peers.py").is_file():
        return None
    return [sys.executable, "-m", "bench.peers", *arguments]


def bench(ctx: typer.Context) -> None:
    """Benchmark: Insighta beside PostGraphile and bare Starlette, with wrk (source checkout)."""
    command = bench_command(CHECKOUT, list(ctx.args))
    if command is None:
        stderr.print(
            "[bold red]error:[/bold red] `insighta bench` runs from a source checkout: this"
            f" installation has no bench/ folder beside {CHECKOUT / 'cli'}. Clone the"
            " repository and run `uv run insighta bench` (or `uv run python -m bench.peers`)"
            " there."
        )
        raise typer.Exit(int(ExitCode.USAGE))
    completed = subprocess.run(command, cwd=CHECKOUT, check=False)
    raise typer.Exit(completed.returncode)


def register(app: typer.Typer) -> None:
    # Every option, --help included, belongs to python -m bench.peers.
    app.command(
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(bench)
