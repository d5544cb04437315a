"""`insighta query` and `insighta export`: profiles from a running server, as a table, JSON
or a CSV file."""

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Final

import orjson
import typer
from rich.console import JustifyMethod
from rich.progress import DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cli.client import InsightaClient, connect
from cli.errors import CommandError
from cli.exit_codes import ExitCode
from cli.output import inert, print_inert, reports_errors, stderr, stdout
from services.profiles.enums import AgeGroup, Gender, ProfileSortField, SortOrder

PANEL: Final = "Client (talk to a running server: INSIGHTA_URL, INSIGHTA_TOKEN)"

_FILTER_FIELDS: Final = (
    "gender ageGroup countryId minAge maxAge minGenderProbability minCountryProbability cacheKey"
)
_PROFILE_FIELDS: Final = (
    "id name gender age ageGroup countryId countryName genderProbability countryProbability"
    " createdAt"
)
PROFILES: Final = f"""
query CliProfiles($query: String, $filter: ProfileFilter, $sort: ProfileSort, $first: Int,
                  $after: String) {{
  profiles(query: $query, filter: $filter, sort: $sort, first: $first, after: $after) {{
    totalCount
    filter {{ {_FILTER_FIELDS} }}
    unmatched
    edges {{ node {{ {_PROFILE_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
EXPORT: Final = f"""
query CliExport($query: String, $filter: ProfileFilter) {{
  profileExport(query: $query, filter: $filter) {{ url expiresAt filter {{ {_FILTER_FIELDS} }} }}
}}
"""

GenderOption = Annotated[
    Gender | None, typer.Option(case_sensitive=False, help="male or female", show_default=False)
]
AgeGroupOption = Annotated[
    AgeGroup | None, typer.Option("--age-group", case_sensitive=False, show_default=False)
]
CountryOption = Annotated[
    str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 code, e.g. NG")
]
MinAgeOption = Annotated[int | None, typer.Option("--min-age", help="Inclusive")]
MaxAgeOption = Annotated[int | None, typer.Option("--max-age", help="Inclusive")]
MinGenderPOption = Annotated[
    float | None, typer.Option("--min-gender-probability", help="Inclusive, 0..1")
]
MinCountryPOption = Annotated[
    float | None, typer.Option("--min-country-probability", help="Inclusive, 0..1")
]


def structured_filter(
    gender: Gender | None,
    age_group: AgeGroup | None,
    country: str | None,
    min_age: int | None,
    max_age: int | None,
    min_gender_probability: float | None,
    min_country_probability: float | None,
) -> dict[str, Any] | None:
    """The ProfileFilter input for the options given, or None when none was."""
    values = {
        "gender": gender.name if gender else None,
        "ageGroup": age_group.name if age_group else None,
        "countryId": country,
        "minAge": min_age,
        "maxAge": max_age,
        "minGenderProbability": min_gender_probability,
        "minCountryProbability": min_country_probability,
    }
    given = {name: value for name, value in values.items() if value is not None}
    return given or None


def parse_sort(text: str | None) -> dict[str, str] | None:
    """`age:asc` -> {"field": "AGE", "order": "ASC"}; the order defaults to DESC."""
    if text is None:
        return None
    field, _, order = text.partition(":")
    field_name = field.strip().replace("-", "_").upper()
    if field_name.replace("_", "") == "CREATEDAT":
        field_name = "CREATED_AT"
    order_name = (order.strip() or "desc").upper()
    if field_name not in ProfileSortField.__members__ or order_name not in SortOrder.__members__:
        fields = ", ".join(name.lower() for name in ProfileSortField.__members__)
        raise typer.BadParameter(f"use FIELD[:asc|desc] with FIELD one of {fields}")
    return {"field": field_name, "order": order_name}


def describe_filter(filter: dict[str, Any]) -> str:
    parts = [
        f"{name}={value}"
        for name, value in filter.items()
        if name != "cacheKey" and value is not None
    ]
    return " ".join(parts) or "(everyone)"


def query(
    text: Annotated[
        str | None, typer.Argument(help='Plain English, e.g. "young males from kenya"')
    ] = None,
    gender: GenderOption = None,
    age_group: AgeGroupOption = None,
    country: CountryOption = None,
    min_age: MinAgeOption = None,
    max_age: MaxAgeOption = None,
    min_gender_probability: MinGenderPOption = None,
    min_country_probability: MinCountryPOption = None,
    first: Annotated[int, typer.Option(help="Page size, 1..100")] = 20,
    sort: Annotated[
        str | None, typer.Option(help="FIELD[:asc|desc], e.g. age:asc (default created_at:desc)")
    ] = None,
    after: Annotated[str | None, typer.Option(help="endCursor of the previous page")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Profiles matching plain English and/or filter options: the filter, total and a page."""
    variables: dict[str, Any] = {
        "query": text,
        "filter": structured_filter(
            gender, age_group, country, min_age, max_age,
            min_gender_probability, min_country_probability,
        ),
        "sort": parse_sort(sort),
        "first": first,
        "after": after,
    }  # fmt: skip
    with connect() as client:
        data = client.execute(PROFILES, variables)
    connection = data["profiles"]
    unmatched = connection["unmatched"]
    profiles = [edge["node"] for edge in connection["edges"]]
    if json:
        result = {
            "filter": connection["filter"],
            "unmatched": unmatched,
            "totalCount": connection["totalCount"],
            "profiles": profiles,
            "pageInfo": connection["pageInfo"],
        }
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _print_page(text, connection, unmatched, profiles)


def _print_page(
    text: str | None, connection: dict[str, Any], unmatched: list[str], profiles: list[Any]
) -> None:
    if text is not None:
        print_inert(stdout, Text("query", "bold"), f"     {text}")
    print_inert(stdout, Text("filter", "bold"), f"    {describe_filter(connection['filter'])}")
    if unmatched:
        print_inert(stdout, Text("unused", "bold"), f"    {' '.join(unmatched)}")
    total = connection["totalCount"]
    shown = f", showing {len(profiles)}" if len(profiles) < total else ""
    print_inert(stdout, Text("total", "bold"), f"     {total} profiles{shown}")
    if not profiles:
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "gender", "age", "age group", "country", "p(gender)", "p(country)"):
        justify: JustifyMethod = "right" if column in {"age", "p(gender)", "p(country)"} else "left"
        table.add_column(column, justify=justify)
    for profile in profiles:
        table.add_row(
            inert(profile["name"]),
            inert(profile["gender"].lower()),
            inert(profile["age"]),
            inert(profile["ageGroup"].lower()),
            inert(f"{profile['countryName']} ({profile['countryId']})"),
            inert(_probability(profile["genderProbability"])),
            inert(_probability(profile["countryProbability"])),
        )
    stdout.print(table)
    page = connection["pageInfo"]
    if page["hasNextPage"]:
        print_inert(stdout, f"next page: add --after {page['endCursor']}", style="dim")


def _probability(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def export(
    out: Annotated[str, typer.Option("--out", "-o", help="CSV file to write, or - for stdout")],
    query: Annotated[
        str | None, typer.Option("--query", "-q", help='Plain English, e.g. "seniors in Ghana"')
    ] = None,
    gender: GenderOption = None,
    age_group: AgeGroupOption = None,
    country: CountryOption = None,
    min_age: MinAgeOption = None,
    max_age: MaxAgeOption = None,
    min_gender_probability: MinGenderPOption = None,
    min_country_probability: MinCountryPOption = None,
) -> None:
    """Download every matching profile as CSV (streamed; a file appears only when complete)."""
    if out != "-":
        _check_writable_path(Path(out))
    variables = {
        "query": query,
        "filter": structured_filter(
            gender, age_group, country, min_age, max_age,
            min_gender_probability, min_country_probability,
        ),
    }  # fmt: skip
    with connect() as client:
        link = client.execute(EXPORT, variables)["profileExport"]
        print_inert(stderr, f"exporting {describe_filter(link['filter'])}")
        if out == "-":
            lines = _download(client, link["url"], sys.stdout.buffer)
        else:
            lines = _download_to_file(client, link["url"], Path(out))
    where = "stdout" if out == "-" else out
    print_inert(stderr, f"wrote {max(lines - 1, 0)} profiles to {where}")


def _check_writable_path(path: Path) -> None:
    """Before anything is downloaded: a directory or a missing folder would fail only at the end."""
    if path.is_dir():
        raise CommandError(f"{path} is a directory: give a file name", ExitCode.USAGE)
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent} is not a folder: cannot write {path}", ExitCode.USAGE)


def _download_to_file(client: InsightaClient, url: str, path: Path) -> int:
    # A partial file must never pass for a complete export: write aside, rename at the end.
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as file:
            lines = _download(client, url, file)
        os.replace(partial, path)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}", ExitCode.FAILED) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return lines


class _RecordCounter:
    """Line ends outside quotes: a quoted name may hold a line break, and is still one row.
    Every `"` flips the state (an escaped `""` flips it twice), across chunk boundaries too."""

    def __init__(self) -> None:
        self.records = 0
        self._quoted = False

    def feed(self, chunk: bytes) -> None:
        for index, part in enumerate(chunk.split(b'"')):
            if index:
                self._quoted = not self._quoted
            if not self._quoted:
                self.records += part.count(b"\n")


def _download(client: InsightaClient, url: str, out: Any) -> int:
    counter = _RecordCounter()
    with Progress(
        SpinnerColumn(),
        TextColumn("downloading"),
        DownloadColumn(),
        TextColumn("{task.fields[rows]} rows"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,  # no bar in logs and pipes, only the summary line
    ) as progress:
        task = progress.add_task("export", total=None, rows=0)

        def advance(chunk: bytes) -> None:
            counter.feed(chunk)
            progress.update(task, advance=len(chunk), rows=max(counter.records - 1, 0))

        client.download(url, out, advance)
    return counter.records


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL)(reports_errors(query))
    app.command(rich_help_panel=PANEL)(reports_errors(export))
