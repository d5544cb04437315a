"""`insighta profiles create|get|delete`: one profile at a time, or names from a file, made
from Genderize, Agify and Nationalize by a running server (docs/api.md, Profiles from names).

Names from `--names-file` (one per line, blank lines skipped) go to `createProfiles` in
chunks of its limit, with a progress bar on a terminal. Each chunk is stored or refused as a
whole by the server; a refused chunk stops the command, and the names of the chunks before it
stay stored (the message says how many).
"""

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Final

import orjson
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from cli.client import connect
from cli.errors import CommandError
from cli.exit_codes import ExitCode
from cli.output import inert, print_inert, reports_errors, stderr, stdout

# createProfiles takes at most this many names (graph/profiles/mutations.py).
CHUNK: Final = 100
_FIELDS: Final = (
    "id name gender genderProbability age ageGroup countryId countryName countryProbability"
    " sampleSize createdAt"
)
CREATE_PROFILES: Final = f"""
mutation CliCreateProfiles($names: [String!]!) {{
  createProfiles(names: $names) {{ created offline profile {{ {_FIELDS} }} }}
}}
"""
GET_PROFILE: Final = f"query CliProfile($id: ID!) {{ profile(id: $id) {{ {_FIELDS} }} }}"
DELETE_PROFILE: Final = "mutation CliDeleteProfile($id: ID!) { deleteProfile(id: $id) }"

profiles_app = typer.Typer(
    help="Profiles one by one: create from names (Genderize, Agify, Nationalize), get, delete."
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
ProfileId = Annotated[str, typer.Argument(help="The profile's id")]


def create(
    name: Annotated[
        list[str] | None, typer.Option("--name", help="A name; repeat for several")
    ] = None,
    names_file: Annotated[
        Path | None,
        typer.Option("--names-file", help="A text file of names, one per line", dir_okay=False),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Create profiles from names; a name already stored prints its profile as `existing`."""
    names = list(name or [])
    if names_file is not None:
        names.extend(_read_names(names_file))
    if not names:
        raise CommandError("give --name NAME or --names-file FILE", ExitCode.USAGE)
    creations: list[dict[str, Any]] = []
    with connect() as client, _progress(len(names)) as (progress, task):
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            try:
                data = client.execute(CREATE_PROFILES, {"names": chunk})
            except CommandError as error:
                if creations:
                    print_inert(stderr, f"{len(creations)} of {len(names)} names were done")
                raise error
            creations.extend(data["createProfiles"])
            progress.update(task, advance=len(chunk))
    if json:
        sys.stdout.write(orjson.dumps(creations, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _print_creations(creations)


def get(
    id: Annotated[str, typer.Argument(help="The profile's id")], json: JsonOption = False
) -> None:
    """One profile by id."""
    with connect() as client:
        profile = client.execute(GET_PROFILE, {"id": id})["profile"]
    if profile is None:
        raise CommandError(f"no profile has the id {id}", ExitCode.BAD_INPUT, code="NOT_FOUND")
    if json:
        sys.stdout.write(orjson.dumps(profile, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    width = max(len(field) for field in profile)
    for field, value in profile.items():
        print_inert(stdout, Text(field.ljust(width), "bold"), f"  {_shown(value)}")


def delete(id: ProfileId) -> None:
    """Delete one profile; totals and breakdowns stay exact."""
    with connect() as client:
        client.execute(DELETE_PROFILE, {"id": id})
    print_inert(stdout, f"deleted {id}")


def _read_names(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path} does not exist", ExitCode.USAGE) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {path}: {error}", ExitCode.USAGE) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def _progress(total: int) -> Iterator[tuple[Progress, TaskID]]:
    """A bar of names done, on stderr, only on a terminal (logs and pipes get the table)."""
    with Progress(
        TextColumn("creating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    ) as progress:
        yield progress, progress.add_task("names", total=total)


def _print_creations(creations: list[dict[str, Any]]) -> None:
    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "", "gender", "age", "country", "sample", "id"):
        table.add_column(
            column,
            justify="right" if column in {"age", "sample"} else "left",
            # The id whole, whatever the width (80 columns off a terminal): `get` takes it.
            no_wrap=column == "id",
            min_width=36 if column == "id" else None,
        )
    for creation in creations:
        profile = creation["profile"]
        table.add_row(
            inert(profile["name"]),
            inert(_made(creation)),
            inert(profile["gender"].lower()),
            inert(profile["age"]),
            inert(f"{profile['countryName']} ({profile['countryId']})"),
            inert(_shown(profile["sampleSize"])),
            inert(profile["id"]),
        )
    stdout.print(table)
    made = sum(1 for creation in creations if creation["created"])
    print_inert(stderr, f"{made} created, {len(creations) - made} existing")
    if any(creation["offline"] for creation in creations):
        print_inert(
            stderr,
            "offline: the server has no base URL for Genderize, Agify or Nationalize, so the"
            " values of the profiles created now are made up from the names",
        )


def _made(creation: dict[str, Any]) -> str:
    if not creation["created"]:
        return "existing"
    return "created (offline)" if creation["offline"] else "created"


def _shown(value: object) -> str:
    return "" if value is None else str(value)


profiles_app.command()(reports_errors(create))
profiles_app.command()(reports_errors(get))
profiles_app.command()(reports_errors(delete))
