"""An app per test with its interview services in reach, offline or pointed at the fakes.

The background worker does not run by itself in tests: `api.run_jobs()` runs every due job
to its end, so each test decides when queued work happens.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import httpx
import pytest

from server.app import create_app
from services.auth.tokens import Role
from services.interviews.runtime import InterviewServices
from services.jobs.runtime import BackgroundJobs
from services.jobs.worker import Job
from services.platform.settings import Secret, Settings
from tests.conftest import make_token
from tests.fakes import gemini, livekit, resend
from tests.fakes.gemini import FakeGemini
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.resend import FakeResend

ADMIN = make_token(Role.ADMIN)
FAST_RETRIES = {
    task: {"tries": 4.0 if task == "send_email" else 3.0, "initial_delay": 0.02, "max_delay": 0.5}
    for task in ("generate_questions", "extract_resume", "generate_assessment", "send_email",
                 "create_room", "ask_assistant", "embed_transcript")
}  # fmt: skip


@dataclass
class Api:
    http: httpx.AsyncClient
    services: InterviewServices
    jobs: BackgroundJobs

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = ADMIN
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = ADMIN
    ) -> dict[str, Any]:
        body = await self.gql(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def run_jobs(self) -> list[Job]:
        return await self.jobs.worker.run_until_idle()


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), f"expected an error, got {body}"
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def recruiter(organisation: str) -> str:
    return make_token(Role.RECRUITER, organisation=organisation)


@pytest.fixture
def org() -> str:
    """A fresh organisation per test: tests never see each other's interviews."""
    return f"org-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
async def no_leftover_jobs(pool: asyncpg.Pool) -> None:
    """Each test's worker runs only the jobs that test queued."""
    async with pool.acquire() as conn:
        await conn.execute("delete from background_jobs where kind in ('assessment', 'email')")


async def _api(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Api]:
    app = create_app(settings, pool=pool)
    services: InterviewServices = app.state.interviews
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Api(http, services, app.state.jobs)
    await services.aclose()


@pytest.fixture
async def offline_api(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Api]:
    async for api in _api(settings, pool):
        yield api


@pytest.fixture
def fake_settings(
    settings: Settings, fake_gemini: FakeGemini, fake_resend: FakeResend, fake_livekit: FakeLiveKit
) -> Settings:
    return replace(
        settings,
        gemini_api_key=Secret(gemini.API_KEY),
        gemini_base_url=fake_gemini.url,
        gemini_model="gemini-test",
        resend_api_key=Secret(resend.API_KEY),
        resend_base_url=fake_resend.url,
        livekit_url=fake_livekit.url,
        livekit_api_key=livekit.API_KEY,
        livekit_api_secret=Secret(livekit.API_SECRET),
        upstream_timeout_seconds=0.5,
        retry_overrides=FAST_RETRIES,
    )


@pytest.fixture
async def fake_api(fake_settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Api]:
    async for api in _api(fake_settings, pool):
        yield api
