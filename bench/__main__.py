"""`uv run python -m bench [--profiles N] [--quick] [--workers N]`: the API over HTTP against
raw SQL (bench/run.py); writes only under bench/results/.

A development tool beside the packages: the wheel does not ship bench/, so the `insighta`
command does not offer it (`insighta bench` runs the side-by-side one, bench/peers.py, from a
checkout, as a subprocess).
"""

import argparse
import asyncio

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bench.run import run_bench
from services.platform.settings import Settings
from services.platform.structured_logging import configure_logging


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark the API over HTTP against raw SQL."
    )
    parser.add_argument(
        "--profiles",
        type=_positive,
        help="dataset size [default: 10,000,000; 1,000,000 with --quick]",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds, shorter throughput runs"
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="server processes under test; throughput is then also measured with 1 [default: 1]",
    )
    args = parser.parse_args()
    configure_logging(level="WARNING")
    size = args.profiles or (1_000_000 if args.quick else 10_000_000)
    with Progress(
        TextColumn("loading profiles"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(),
        transient=True,
    ) as progress:
        task = progress.add_task("load", total=size)
        asyncio.run(
            run_bench(
                Settings.from_env(),
                profiles=size,
                quick=args.quick,
                workers=args.workers,
                say=lambda text: progress.console.print(text),
                progress=lambda rows: progress.update(task, completed=rows),
            )
        )


if __name__ == "__main__":
    main()
