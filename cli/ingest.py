"""`insighta ingest FILE`: upload with a progress bar, follow the job, print the summary."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from cli.exit_codes import ExitCode
from cli.ingest_client import ClientError, GraphQLClient, SubscriptionUnavailable

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

EXIT_COMPLETED: Final = 0
EXIT_FAILED: Final = 1
EXIT_REFUSED: Final = 2
EXIT_UNREACHABLE: Final = int(ExitCode.UNREACHABLE)  # as for the other client commands


def run_ingest(client: GraphQLClient, path: Path, console: Console) -> int:
    """Upload, follow, summarise; the exit status: 0 COMPLETED, 1 FAILED, 2 refused, 3 no server."""
    try:
        job = _upload(client, path, console)
        console.print(f"job [bold]{job['id']}[/bold] {job['status']}")
        _follow(client, job, console)
        summary = client.execute(SUMMARY, {"id": job["id"], "errors": SHOWN_ERRORS})
    except ClientError as error:
        console.print(f"[red]error[/red] ({error.code or 'no code'}): {escape(str(error))}")
        return EXIT_REFUSED
    except httpx.HTTPError as error:
        console.print(
            f"[red]error[/red]: cannot reach Insighta at {escape(client.url)}: "
            f"{escape(type(error).__name__)}: {escape(str(error))}"
        )
        return EXIT_UNREACHABLE
    final = summary["ingestionJob"]
    _print_summary(final, console)
    return EXIT_COMPLETED if final["status"] == "COMPLETED" else EXIT_FAILED


def _upload(client: GraphQLClient, path: Path, console: Console) -> dict[str, Any]:
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


def _follow(client: GraphQLClient, job: dict[str, Any], console: Console) -> None:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(job["status"], total=job["bytesTotal"] or None)
        for state in _states(client, job):
            progress.update(
                task,
                completed=state["bytesRead"],
                description=f"{state['status'].lower()}: {state['totalRows']:,} rows, "
                f"{state['inserted']:,} inserted, {state['skipped']:,} skipped",
            )


def _states(client: GraphQLClient, job: dict[str, Any]) -> Iterator[dict[str, Any]]:
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
    table = Table(
        title=escape(f"{job['fileName'] or 'upload'}: {job['status']}"), show_header=False
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("total rows", job["totalRows"]),
        ("inserted", job["inserted"]),
        ("skipped", job["skipped"]),
    ):
        table.add_row(label, f"{value:,}")
    for reason in job["reasons"]:
        table.add_row(escape(f"  {reason['reason']}"), f"{reason['count']:,}")
    console.print(table)
    if job["error"]:
        console.print(f"[red]failed:[/red] {escape(job['error'])}")
    if job["errors"]:
        errors = Table(title=f"first {len(job['errors'])} skipped rows")
        for column in ("line", "reason", "column", "value"):
            errors.add_column(column)
        for error in job["errors"]:
            errors.add_row(
                str(error["line"]),
                *(escape(error[key] or "") for key in ("reason", "column", "value")),
            )
        console.print(errors)
