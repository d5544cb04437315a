"""`insighta ingest FILE`: upload with a progress bar, follow the job, print the summary."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from cli.client import InsightaClient, connect
from cli.exit_codes import ExitCode
from cli.output import inert, print_inert, stdout
from cli.subscriptions import SubscriptionUnavailable

JOB_FIELDS: Final = """
id status fileName bytesTotal bytesRead totalRows inserted skipped
reasons { reason count } error
"""
INGEST: Final = (
    f"mutation Ingest($file: Upload!) {{ ingestProfiles(file: $file) {{ {JOB_FIELDS} }} }}"
)
PROGRESS: Final = (
    f"subscription Progress($id: ID!) {{ ingestionProgress(jobId: $id) {{ {JOB_FIELDS} }} }}"
)
SUMMARY: Final = f"""
query Summary($id: ID!, $errors: Int!) {{
  ingestionJob(id: $id) {{ {JOB_FIELDS} errors(first: $errors) {{ line reason column value }} }}
}}
"""
SHOWN_ERRORS: Final = 20
POLL_SECONDS: Final = 0.5
TERMINAL: Final = frozenset({"COMPLETED", "FAILED"})


def ingest(
    file: Annotated[
        Path, typer.Argument(help="CSV of profiles", exists=True, dir_okay=False, readable=True)
    ],
) -> None:
    """Upload a CSV to the server the client commands talk to, follow the job, print the
    summary.

    Exits 0 when the job COMPLETED, 1 when it FAILED, otherwise as every client command
    (README, CLI: exit codes).
    """
    with connect() as client:
        code = run_ingest(client, file, stdout)
    raise typer.Exit(int(code))


def run_ingest(client: InsightaClient, path: Path, console: Console) -> ExitCode:
    """Upload, follow, summarise; OK when the job COMPLETED, FAILED when it failed. A refused
    upload or an unreachable server is a CommandError."""
    job = _upload(client, path, console)
    print_inert(console, "job ", Text(job["id"], "bold"), f" {job['status']}")
    _follow(client, job, console)
    final = client.execute(SUMMARY, {"id": job["id"], "errors": SHOWN_ERRORS})["ingestionJob"]
    _print_summary(final, console)
    return ExitCode.OK if final["status"] == "COMPLETED" else ExitCode.FAILED


def _upload(client: InsightaClient, path: Path, console: Console) -> dict[str, Any]:
    with Progress(
        TextColumn("upload"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("upload", total=path.stat().st_size)
        data = client.upload(
            INGEST, path, on_progress=lambda sent: progress.update(task, completed=sent)
        )
    job: dict[str, Any] = data["ingestProfiles"]
    return job


def _follow(client: InsightaClient, job: dict[str, Any], console: Console) -> None:
    with Progress(
        # The description holds the job's status as the server sent it: text, not markup.
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(inert(job["status"]).plain, total=job["bytesTotal"] or None)
        for state in _states(client, job):
            progress.update(
                task,
                completed=state["bytesRead"],
                description=inert(
                    f"{state['status'].lower()}: {state['totalRows']:,} rows, "
                    f"{state['inserted']:,} inserted, {state['skipped']:,} skipped"
                ).plain,
            )


def _states(client: InsightaClient, job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The job's states to the end: by subscription, or by polling if websockets are blocked."""
    try:
        for data in client.subscribe(PROGRESS, {"id": job["id"]}):
            yield data["ingestionProgress"]
        return
    except SubscriptionUnavailable:
        pass
    state = job
    while state["status"] not in TERMINAL:
        time.sleep(POLL_SECONDS)
        state = client.execute(SUMMARY, {"id": job["id"], "errors": 0})["ingestionJob"]
        yield state


def _print_summary(job: dict[str, Any], console: Console) -> None:
    table = Table(title=inert(f"{job['fileName'] or 'upload'}: {job['status']}"), show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("total rows", job["totalRows"]),
        ("inserted", job["inserted"]),
        ("skipped", job["skipped"]),
    ):
        table.add_row(label, f"{value:,}")
    for reason in job["reasons"]:
        table.add_row(inert(f"  {reason['reason']}"), inert(f"{reason['count']:,}"))
    console.print(table)
    if job["error"]:
        print_inert(console, Text("failed:", "red"), " ", job["error"])
    if job["errors"]:
        errors = Table(title=f"first {len(job['errors'])} skipped rows")
        for column in ("line", "reason", "column", "value"):
            errors.add_column(column)
        for error in job["errors"]:
            errors.add_row(
                inert(error["line"]),
                *(inert(error[key] or "") for key in ("reason", "column", "value")),
            )
        console.print(errors)
