"""Clients over HTTP: timed single requests, and throughput with N concurrent clients spread
over several load processes (one Python process tops out near one core of httpx)."""

import asyncio
import os
import time
from concurrent.futures import Executor
from dataclasses import dataclass

import httpx
import orjson


@dataclass(frozen=True)
class Throughput:
    clients: int
    seconds: float
    requests: int
    errors: int
    processes: int = 1
    # CPU seconds the load processes used in the window, over the window: 1.0 is one core
    # busy. Near the core count the load generator, not the server, sets the rate.
    client_cpu: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


class GraphQLClient:
    def __init__(self, url: str, token: str, *, connections: int = 64) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            timeout=60,
        )

    @staticmethod
    def body(query: str, variables: dict[str, object]) -> bytes:
        return orjson.dumps({"query": query, "variables": variables})

    async def post(self, body: bytes) -> bytes:
        """The response body; raises if the request failed or the answer carries errors."""
        response = await self.http.post(self.url, content=body, headers=self.headers)
        if response.status_code != 200 or b'"errors"' in response.content:
            raise RuntimeError(f"request failed: {response.status_code} {response.text[:300]}")
        return response.content

    async def timed(self, body: bytes) -> float:
        started = time.perf_counter()
        await self.post(body)
        return (time.perf_counter() - started) * 1000

    async def close(self) -> None:
        await self.http.aclose()


# The processes need time to connect and warm every server process's cache before the window.
_WARM_UP_SECONDS = 1.5


async def throughput_in_processes(
    executor: Executor,
    processes: int,
    *,
    url: str,
    token: str,
    bodies: list[bytes],
    clients: int,
    seconds: float,
) -> Throughput:
    """`clients` concurrent clients split over `processes` load processes of `executor`,
    all counting over the same wall-clock window."""
    processes = max(1, min(processes, clients))
    start = time.time() + _WARM_UP_SECONDS
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    offsets = [sum(shares[:i]) for i in range(processes)]
    loop = asyncio.get_running_loop()
    counts = await asyncio.gather(
        *(
            loop.run_in_executor(
                executor, _load_process, url, token, bodies, share, offset, start, seconds
            )
            for share, offset in zip(shares, offsets, strict=True)
        )
    )
    elapsed = max(count[3] for count in counts)
    return Throughput(
        clients,
        elapsed,
        sum(count[0] for count in counts),
        sum(count[1] for count in counts),
        processes,
        sum(count[2] for count in counts) / elapsed,
    )


def warm_process() -> int:
    """Run in each load process once, before any window: spawning and imports take seconds."""
    return os.getpid()


def _load_process(
    url: str,
    token: str,
    bodies: list[bytes],
    clients: int,
    offset: int,
    start: float,
    seconds: float,
) -> tuple[int, int, float, float]:
    return asyncio.run(_load(url, token, bodies, clients, offset, start, seconds))


async def _load(
    url: str,
    token: str,
    bodies: list[bytes],
    clients: int,
    offset: int,
    start: float,
    seconds: float,
) -> tuple[int, int, float, float]:
    """(requests, errors, CPU seconds, wall seconds) within [start, start + seconds]."""
    client = GraphQLClient(url, token, connections=clients)
    stop = start + seconds
    counts = [0] * clients
    errors = [0] * clients
    cpu: list[float] = []

    async def one(index: int) -> None:
        position = offset + index
        while (now := time.time()) < stop:
            try:
                await client.post(bodies[position % len(bodies)])
                if now >= start:
                    counts[index] += 1
            except (RuntimeError, httpx.HTTPError):
                if now >= start:
                    errors[index] += 1
            position += clients

    async def mark_start() -> None:
        await asyncio.sleep(max(0.0, start - time.time()))
        cpu.append(time.process_time())

    try:
        await asyncio.gather(mark_start(), *(one(index) for index in range(clients)))
    finally:
        await client.close()
    return (
        sum(counts),
        sum(errors),
        time.process_time() - cpu[0],
        max(time.time() - start, 1e-9),
    )
