"""What each server is asked in the side-by-side run: one case = one body to one server
process, timed at 1 connection and at 32."""

from dataclasses import dataclass

from bench.peer_queries import insighta_page, postgraphile_page, typename


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    server: str  # a key of the running servers: floor, postgraphile, insighta[_uncached][_wN]
    body: bytes
    insighta: bool  # sent with Insighta's bearer token


def insighta_columns(workers: int) -> list[tuple[str, int]]:
    """(key suffix, serve --workers) for each Insighta column: one worker, and N if N > 1."""
    return [("", 1)] + ([(f"_w{workers}", workers)] if workers > 1 else [])


def cases(workers: int) -> list[Case]:
    found = [
        # The floor is sent Insighta's page request and answers the bytes of its cached page.
        Case(
            "floor",
            "bare Starlette on uvicorn, same bytes",
            "floor",
            insighta_page(total=True),
            False,
        ),
        Case(
            "pg_page",
            "PostGraphile page, no total",
            "postgraphile",
            postgraphile_page(total=False),
            False,
        ),
        Case(
            "pg_page_total",
            "PostGraphile page + totalCount",
            "postgraphile",
            postgraphile_page(total=True),
            False,
        ),
    ]
    ours = [
        ("typename", "Insighta {__typename}", "insighta", typename()),
        (
            "uncached_page",
            "Insighta page uncached, no total",
            "insighta_uncached",
            insighta_page(total=False),
        ),
        (
            "uncached_total",
            "Insighta page uncached + totalCount",
            "insighta_uncached",
            insighta_page(total=True),
        ),
        ("cached_page", "Insighta page cached + totalCount", "insighta", insighta_page(total=True)),
    ]
    for suffix, count in insighta_columns(workers):
        tail = f", --workers {count}" if count > 1 else ""
        found += [
            Case(key + suffix, label + tail, server + suffix, body, True)
            for key, label, server, body in ours
        ]
    return found
