"""Clients over HTTP: timed single requests, and throughput with N concurrent clients."""

import asyncio
import time
from dataclasses import dataclass

import httpx
import orjson


@dataclass(frozen=True)
class Throughput:
    clients: int
    seconds: float
    requests: int
    errors: int

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

    async def throughput(self, bodies: list[bytes], clients: int, seconds: float) -> Throughput:
        stop = time.perf_counter() + seconds
        counts = [0] * clients
        errors = [0] * clients

        async def client(index: int) -> None:
            position = index
            while time.perf_counter() < stop:
                try:
                    await self.post(bodies[position % len(bodies)])
                    counts[index] += 1
                except (RuntimeError, httpx.HTTPError):
                    errors[index] += 1
                position += clients

        started = time.perf_counter()
        await asyncio.gather(*(client(index) for index in range(clients)))
        return Throughput(clients, time.perf_counter() - started, sum(counts), sum(errors))

    async def close(self) -> None:
        await self.http.aclose()
