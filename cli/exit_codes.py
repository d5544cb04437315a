"""Exit codes of the `insighta` client commands, one per kind of failure a script can act on,
each with the hint printed under its error.

docs/cli.md lists them; keep the numbers stable.
"""

from enum import IntEnum
from typing import Final

from services.errors import ErrorCode


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the server failed (INTERNAL), an ingestion job FAILED, or not Insighta at the URL
    USAGE = 2  # bad command-line options (click's own code)
    UNREACHABLE = 3  # no server at the URL: refused, unknown host, timed out
    UNAUTHENTICATED = 4  # no token, or an invalid or expired one
    FORBIDDEN = 5  # the token's role may not do this
    BAD_INPUT = 6  # the request was refused as given: BAD_USER_INPUT, UNINTERPRETABLE_QUERY...
    UNAVAILABLE = 7  # try again later: RATE_LIMITED, UPSTREAM_UNAVAILABLE, HTTP 503
    INTERRUPTED = 130  # Ctrl-C


HINTS: Final[dict[ExitCode, str]] = {
    ExitCode.OK: "",
    ExitCode.FAILED: "The server's log has the details (search it for the request id, if given).",
    ExitCode.USAGE: "See `insighta COMMAND --help`.",
    ExitCode.UNREACHABLE: "Is `insighta serve` running? Point INSIGHTA_URL (or `insighta login "
    "--url`) at its /graphql endpoint.",
    ExitCode.UNAUTHENTICATED: "Run `insighta login`, or set INSIGHTA_TOKEN (an operator gets one "
    "from `insighta token --role analyst`).",
    ExitCode.FORBIDDEN: "`insighta whoami` shows the token's role; ask an admin for a token "
    "whose role may do this.",
    ExitCode.BAD_INPUT: "Change what the message names and run the command again.",
    ExitCode.UNAVAILABLE: "Try again in a minute.",
    ExitCode.INTERRUPTED: "",
}

EXIT_CODES: Final[dict[str, ExitCode]] = {
    ErrorCode.UNAUTHENTICATED.value: ExitCode.UNAUTHENTICATED,
    ErrorCode.FORBIDDEN.value: ExitCode.FORBIDDEN,
    ErrorCode.NOT_FOUND.value: ExitCode.BAD_INPUT,
    ErrorCode.BAD_USER_INPUT.value: ExitCode.BAD_INPUT,
    ErrorCode.UNINTERPRETABLE_QUERY.value: ExitCode.BAD_INPUT,
    ErrorCode.PAYLOAD_TOO_LARGE.value: ExitCode.BAD_INPUT,
    ErrorCode.RATE_LIMITED.value: ExitCode.UNAVAILABLE,
    ErrorCode.UPSTREAM_UNAVAILABLE.value: ExitCode.UNAVAILABLE,
    ErrorCode.INTERNAL.value: ExitCode.FAILED,
}


def exit_code_for(error_code: str | None) -> ExitCode:
    return EXIT_CODES.get(error_code or "", ExitCode.FAILED)
