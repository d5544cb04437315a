"""The parse-process pool: a process that dies while idle is not lent to the next job."""

import multiprocessing
import os
import signal
from pathlib import Path

from services.ingestion.parsers import ParserPool
from tests.polling import eventually


async def test_a_parse_process_killed_while_idle_is_replaced_not_lent(tmp_path: Path) -> None:
    csv = tmp_path / "profiles.csv"
    csv.write_bytes(b"name,gender,age,country_id\nAda,f,30,NG\n")
    parsers = ParserPool(2)
    try:
        # Two jobs at once start two processes; both are idle afterwards.
        async with parsers.borrow() as first, parsers.borrow() as second:
            lent = (first, second)
        # One dies while idle (the OOM killer, an operator's kill -9).
        dead = lent[0]
        assert dead.pid is not None
        os.kill(dead.pid, signal.SIGKILL)

        async def children() -> list[int | None]:
            return [child.pid for child in multiprocessing.active_children()]  # reaps the dead

        await eventually(children, lambda pids: dead.pid not in pids, message="the kill")
        # Two jobs at once again: neither may get the dead process (its first call would fail
        # and cost that job an attempt).
        async with parsers.borrow() as first, parsers.borrow() as second:
            assert dead not in (first, second)
            for parser in (first, second):
                layout = await parser.read_layout(csv)
                assert layout.header.positions["name"] == 0
    finally:
        await parsers.close()
