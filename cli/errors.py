"""The one error of the `insighta` commands: a message, its exit code and a hint, printed by
`cli.output.reports_errors` as `error: [CODE] message` (never a traceback)."""

from cli.exit_codes import HINTS, ExitCode


class CommandError(Exception):
    def __init__(
        self, message: str, exit_code: ExitCode, *, code: str | None = None, hint: str | None = None
    ) -> None:
        """`hint` replaces the exit code's own hint from cli/exit_codes.py when given."""
        super().__init__(message)
        self.exit_code, self.code = exit_code, code
        self.hint = HINTS[exit_code] if hint is None else hint
