"""The interview-related settings: defaults and environment names as docs/configuration.md
documents."""

import pytest

from services.platform.settings import Settings


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.upstream_timeout_seconds == 30.0
    assert (settings.job_lease_seconds, settings.job_poll_seconds) == (15.0, 1.0)
    assert settings.interview_join_url.endswith("/interviews/{interview_id}/join")
    assert settings.gemini_api_key is None
    assert settings.resend_api_key is None
    assert settings.livekit_url is None
    assert settings.retry_overrides == {}


def test_values_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "UPSTREAM_TIMEOUT_SECONDS": "2.5",
            "JOB_LEASE_SECONDS": "12",
            "JOB_POLL_SECONDS": "0.2",
            "INTERVIEW_JOIN_URL": "https://app.example/join/{interview_id}",
            "RESEND_API_URL": "http://127.0.0.1:9999",
        }
    )
    assert settings.upstream_timeout_seconds == 2.5
    assert (settings.job_lease_seconds, settings.job_poll_seconds) == (12.0, 0.2)
    assert settings.interview_join_url == "https://app.example/join/{interview_id}"
    assert settings.resend_base_url == "http://127.0.0.1:9999"  # the SDK's own name works too
    both = {"RESEND_BASE_URL": "http://a", "RESEND_API_URL": "http://b"}
    assert Settings.from_env(both).resend_base_url == "http://a"


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_nonsense_numbers_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="UPSTREAM_TIMEOUT_SECONDS"):
        Settings.from_env({"UPSTREAM_TIMEOUT_SECONDS": value})
