"""wrk, the C load generator: one POST body per Lua script, its latency distribution and counts
printed as one JSON line by the script's `done()` and read back here.

wrk is a Debian package (`apt-get install wrk`); the side-by-side benchmark stops when it is
missing rather than measure with a Python client that would saturate before the servers do.
"""

import asyncio
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

INSTALL_HINT: Final = (
    "wrk is not installed: the side-by-side benchmark measures with it. "
    "Install it with `apt-get install wrk` (Debian/Ubuntu; `brew install wrk` on macOS) "
    "and run the benchmark again."
)
# The line `done()` prints; everything else wrk writes is its own text report.
MARKER: Final = "WRK_JSON "
PERCENTILES: Final = (50.0, 90.0, 95.0, 99.0, 99.9)

_DONE = """
done = function(summary, latency, requests)
  local parts = {}
  for _, p in ipairs({%(percentiles)s}) do
    parts[#parts + 1] = string.format('"%%s": %%d', tostring(p), latency:percentile(p))
  end
  local errors = summary.errors
  io.write(string.format(
    '%(marker)s{"duration_us": %%d, "requests": %%d, "bytes": %%d, '
      .. '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, '
      .. '"latency_us": {"min": %%d, "max": %%d, "mean": %%.1f, "stdev": %%.1f, '
      .. '"percentiles": {%%s}}}\\n',
    summary.duration, summary.requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(parts, ", ")))
end
"""


class WrkMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkRun:
    connections: int
    seconds: float
    requests: int
    bytes: int
    # wrk's "Non-2xx or 3xx responses": it counts every status above 399.
    non_2xx: int
    socket_errors: int  # connect, read, write and timeouts
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def bytes_per_response(self) -> float:
        return self.bytes / max(self.requests, 1)


def wrk_path() -> str:
    """The wrk executable; `WrkMissing` (with the install hint) when there is none."""
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(INSTALL_HINT)
    return path


def lua_script(body: bytes, headers: dict[str, str]) -> str:
    """A wrk script that POSTs `body` with `headers` and prints the run as one JSON line.

    The body goes in a Lua long bracket whose level does not occur in it, so any bytes pass
    unescaped: `{"query": "{ a }"}` -> `wrk.body = [=[{"query": "{ a }"}]=]`.
    """
    text = body.decode()
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    equals = "=" * level
    lines = ['wrk.method = "POST"', f"wrk.body = [{equals}[{text}]{equals}]"]
    lines += [f'wrk.headers["{name}"] = "{_lua_string(value)}"' for name, value in headers.items()]
    percentiles = ", ".join(str(p) for p in PERCENTILES)
    return "\n".join(lines) + "\n" + _DONE % {"percentiles": percentiles, "marker": MARKER}


def parse_output(stdout: str, *, connections: int) -> WrkRun:
    """The run `done()` printed; raises with wrk's text when the line is missing."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            data: dict[str, Any] = orjson.loads(line[len(MARKER) :])
            break
    else:
        raise RuntimeError(f"wrk printed no {MARKER.strip()} line:\n{stdout[-2000:]}")
    latency, errors = data["latency_us"], data["errors"]
    percentiles = {float(key): value / 1000 for key, value in latency["percentiles"].items()}
    return WrkRun(
        connections=connections,
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        bytes=data["bytes"],
        non_2xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        p50_ms=percentiles[50.0],
        p90_ms=percentiles[90.0],
        p95_ms=percentiles[95.0],
        p99_ms=percentiles[99.0],
        mean_ms=latency["mean"] / 1000,
        max_ms=latency["max"] / 1000,
    )


async def run_wrk(
    url: str, script: Path, *, connections: int, threads: int, seconds: float
) -> WrkRun:
    # A generous timeout: PostGraphile's exact totalCount takes over a second at 10M rows, and
    # a request wrk gave up on would show as an error instead of as its latency.
    process = await asyncio.create_subprocess_exec(
        wrk_path(),
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=60s",
        f"--script={script}",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}: {stderr.decode()[-2000:]}")
    return parse_output(stdout.decode(), connections=connections)


_UNSAFE = re.compile(r'["\\\n\r]')


def _lua_string(value: str) -> str:
    return _UNSAFE.sub(lambda match: "\\" + {"\n": "n", "\r": "r"}.get(match[0], match[0]), value)
