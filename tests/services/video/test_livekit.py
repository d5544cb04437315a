"""LiveKit: rooms through the real livekit-api (Twirp, binary protobuf) against the fake,
participant tokens and their grants, and webhook signature checks."""

from collections.abc import AsyncIterator

import pytest
from livekit.api import TokenVerifier

from services.errors import ErrorCode, ServiceError
from services.platform.settings import Secret, Settings
from services.video.rooms import EMPTY_TIMEOUT_SECONDS, LiveKitRooms
from services.video.tokens import DEV_API_KEY, LiveKitKeys, participant_tokens
from services.video.webhooks import WebhookRejected, read_webhook
from tests.fakes.livekit import API_KEY, API_SECRET, FakeLiveKit
from tests.fakes.policies import fast_policies
from tests.fakes.server import Fault

KEYS = LiveKitKeys(API_KEY, Secret(API_SECRET))


@pytest.fixture
async def rooms(fake_livekit: FakeLiveKit) -> AsyncIterator[LiveKitRooms]:
    adapter = LiveKitRooms(
        url=fake_livekit.url, keys=KEYS, timeout_seconds=0.5, policies=fast_policies()
    )
    yield adapter
    await adapter.aclose()


async def test_a_room_is_created_over_twirp_protobuf(
    rooms: LiveKitRooms, fake_livekit: FakeLiveKit
) -> None:
    await rooms.create_room("interview-1")
    (request,) = fake_livekit.requests
    assert request.path == "/twirp/livekit.RoomService/CreateRoom"
    assert request.headers["Content-Type"] == "application/protobuf"
    assert fake_livekit.rooms["interview-1"].empty_timeout == EMPTY_TIMEOUT_SECONDS


async def test_unavailable_and_slow_answers_are_retried(
    rooms: LiveKitRooms, fake_livekit: FakeLiveKit
) -> None:
    fake_livekit.script(Fault.status(503), Fault.slow(2.0))
    await rooms.create_room("interview-2")
    assert len(fake_livekit.requests) == 3
    assert 0.5 <= fake_livekit.gaps()[1] < 2.0  # the slow one was cut off at the timeout


async def test_a_retry_after_is_waited_exactly(
    rooms: LiveKitRooms, fake_livekit: FakeLiveKit
) -> None:
    fake_livekit.script(Fault.status(429, retry_after="0.4"))  # the policy alone waits 0.05 s
    await rooms.create_room("interview-5")
    assert len(fake_livekit.requests) == 2
    assert fake_livekit.gaps()[0] >= 0.4


async def test_a_retry_after_beyond_the_longest_wait_gives_up(
    rooms: LiveKitRooms, fake_livekit: FakeLiveKit
) -> None:
    fake_livekit.script(Fault.status(503, retry_after="30"))
    with pytest.raises(ServiceError) as raised:
        await rooms.create_room("interview-6")
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_livekit.requests) == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [(Fault.status(400), "invalid_argument"), (Fault.malformed(b"\xff\xff\xff"), "unreadable")],
)
async def test_bad_requests_and_garbled_answers_are_not_retried(
    rooms: LiveKitRooms, fake_livekit: FakeLiveKit, fault: Fault, message: str
) -> None:
    fake_livekit.script(fault)
    with pytest.raises(ServiceError, match=message) as raised:
        await rooms.create_room("interview-3")
    assert raised.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert len(fake_livekit.requests) == 1


async def test_wrong_keys_are_refused_by_the_server(fake_livekit: FakeLiveKit) -> None:
    wrong = LiveKitKeys(API_KEY, Secret("another-secret-that-is-long-enough-0123456789"))
    adapter = LiveKitRooms(
        url=fake_livekit.url, keys=wrong, timeout_seconds=0.5, policies=fast_policies()
    )
    try:
        with pytest.raises(ServiceError, match="unauthenticated"):
            await adapter.create_room("interview-4")
    finally:
        await adapter.aclose()
    assert fake_livekit.rooms == {}


def test_tokens_grant_the_candidate_and_the_agent_this_room_only() -> None:
    tokens = participant_tokens(KEYS, room="interview-5", interview_id="5", candidate_name="Ada")
    verifier = TokenVerifier(API_KEY, API_SECRET)
    candidate = verifier.verify(tokens.candidate)
    agent = verifier.verify(tokens.agent)
    assert candidate.video is not None
    assert agent.video is not None
    assert (candidate.identity, candidate.name) == ("candidate-5", "Ada")
    assert candidate.video.room_join
    assert candidate.video.room == "interview-5"
    assert not candidate.video.agent
    assert agent.identity == "interviewer-5"
    assert agent.kind == "agent"
    assert agent.video.room == "interview-5"
    assert agent.video.agent
    assert agent.video.room_join


def test_dev_keys_are_used_when_none_are_configured() -> None:
    keys = LiveKitKeys.from_settings(Settings(), Secret("server-secret"))
    assert keys.api_key == DEV_API_KEY
    assert len(keys.api_secret.reveal()) == 64
    assert keys == LiveKitKeys.from_settings(Settings(), Secret("server-secret"))  # stable


def test_a_signed_webhook_is_read(fake_livekit: FakeLiveKit) -> None:
    body, headers = fake_livekit.webhook("room_finished", "interview-6")
    notice = read_webhook(KEYS, body, headers["Authorization"])
    assert (notice.event, notice.room_name) == ("room_finished", "interview-6")


@pytest.mark.parametrize("tamper", ["other secret", "edited body", "no header", "garbage token"])
def test_a_webhook_that_does_not_verify_is_rejected(fake_livekit: FakeLiveKit, tamper: str) -> None:
    secret = "some-other-secret-that-is-long-enough-0123" if tamper == "other secret" else None
    body, headers = fake_livekit.webhook("room_finished", "interview-7", secret=secret)
    authorization: str | None = headers["Authorization"]
    if tamper == "edited body":
        body = body.replace("interview-7", "interview-8")
    elif tamper == "no header":
        authorization = None
    elif tamper == "garbage token":
        authorization = "not-a-jwt"
    with pytest.raises(WebhookRejected):
        read_webhook(KEYS, body, authorization)
