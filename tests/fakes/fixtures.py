"""Pytest fixtures for the fake upstreams: one server each per test session, reset per test.

Registered from tests/conftest.py (`pytest_plugins`), so any test can ask for `fake_gemini`,
`fake_resend`, `fake_livekit`, `fake_github` or `fake_names` (Genderize, Agify, Nationalize) and
gets a clean script, no recorded requests and no state.
"""

from collections.abc import AsyncIterator

import pytest

from tests.fakes.gemini import FakeGemini
from tests.fakes.github import FakeGitHub
from tests.fakes.livekit import FakeLiveKit
from tests.fakes.names import FakeNameApi, FakeNameServices
from tests.fakes.resend import FakeResend


@pytest.fixture(scope="session")
async def _gemini_server() -> AsyncIterator[FakeGemini]:
    server = await FakeGemini().start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
async def _resend_server() -> AsyncIterator[FakeResend]:
    server = await FakeResend().start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
async def _livekit_server() -> AsyncIterator[FakeLiveKit]:
    server = await FakeLiveKit().start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
async def _github_server() -> AsyncIterator[FakeGitHub]:
    server = await FakeGitHub().start()
    yield server
    await server.close()


@pytest.fixture
def fake_github(_github_server: FakeGitHub) -> FakeGitHub:
    _github_server.reset()
    return _github_server


@pytest.fixture
def fake_gemini(_gemini_server: FakeGemini) -> FakeGemini:
    _gemini_server.reset()
    return _gemini_server


@pytest.fixture
def fake_resend(_resend_server: FakeResend) -> FakeResend:
    _resend_server.reset()
    return _resend_server


@pytest.fixture
def fake_livekit(_livekit_server: FakeLiveKit) -> FakeLiveKit:
    _livekit_server.reset()
    return _livekit_server


@pytest.fixture(scope="session")
async def _name_servers() -> AsyncIterator[FakeNameServices]:
    services = FakeNameServices(
        genderize=await FakeNameApi(service="genderize").start(),
        agify=await FakeNameApi(service="agify").start(),
        nationalize=await FakeNameApi(service="nationalize").start(),
    )
    yield services
    for server in services.all:
        await server.close()


@pytest.fixture
def fake_names(_name_servers: FakeNameServices) -> FakeNameServices:
    for server in _name_servers.all:
        server.reset()
    return _name_servers
