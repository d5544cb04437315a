"""The wrk script the benchmark writes, and how its output is read back."""

import pytest

from bench.wrk import MARKER, lua_script, parse_output

# wrk's own report, then the line the script's done() prints (a 2-thread, 32-connection run).
OUTPUT = f"""Running 3s test @ http://127.0.0.1:8000/graphql
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    1.02ms  21.30ms   88.10%
    Req/Sec     3.90k   210.00     4.30k    70.00%
  23340 requests in 3.00s, 131.20MB read
  Non-2xx or 3xx responses: 2
Requests/sec:   7779.81
Transfer/sec:     43.73MB
{MARKER}{{"duration_us": 3000210, "requests": 23340, "bytes": 137573120, "errors": \
{{"connect": 0, "read": 1, "write": 0, "status": 2, "timeout": 3}}, "latency_us": \
{{"min": 812, "max": 21300, "mean": 4101.5, "stdev": 1020.3, "percentiles": \
{{"50": 3950, "90": 5120, "95": 5800, "99": 8830, "99.9": 15010}}}}}}
"""


def test_the_done_line_gives_percentiles_in_ms_throughput_and_error_counts() -> None:
    run = parse_output(OUTPUT, connections=32)
    assert run.connections == 32
    assert (run.p50_ms, run.p90_ms, run.p95_ms, run.p99_ms) == (3.95, 5.12, 5.8, 8.83)
    assert run.mean_ms == pytest.approx(4.1015)
    assert run.max_ms == 21.3
    assert run.per_second == pytest.approx(23340 / 3.00021)
    assert run.non_2xx == 2
    assert run.socket_errors == 4
    assert run.bytes_per_response == pytest.approx(137573120 / 23340)


def test_output_without_the_done_line_is_an_error_quoting_wrk() -> None:
    with pytest.raises(RuntimeError, match="unable to connect"):
        parse_output("unable to connect to 127.0.0.1:1 Connection refused\n", connections=1)


def test_the_script_posts_the_body_with_its_headers_and_prints_one_json_line() -> None:
    script = lua_script(b'{"query": "{ __typename }"}', {"Authorization": "Bearer abc"})
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = [=[{"query": "{ __typename }"}]=]' in script
    assert 'wrk.headers["Authorization"] = "Bearer abc"' in script
    assert "done = function(summary, latency, requests)" in script
    assert MARKER.strip() in script
    assert "latency:percentile(p)" in script


def test_a_body_holding_the_closing_bracket_gets_a_longer_one() -> None:
    script = lua_script(b'{"query": "]=] ]==]"}', {})
    assert 'wrk.body = [===[{"query": "]=] ]==]"}]===]' in script


def test_header_values_are_quoted_for_lua() -> None:
    script = lua_script(b"{}", {"X-Note": 'say "hi"\\'})
    assert 'wrk.headers["X-Note"] = "say \\"hi\\"\\\\"' in script
