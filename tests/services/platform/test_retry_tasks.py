"""Per-task retry settings: defaults, RETRY_<TASK>_* overrides, unknown tasks refused."""

import pytest

from services.platform.retry_tasks import GENERATE_ASSESSMENT, SEND_EMAIL, retry_policies
from services.platform.settings import Settings


def test_every_task_has_a_policy_bounded_by_the_upstream_timeout() -> None:
    policies = retry_policies(Settings(upstream_timeout_seconds=12.0))
    assert policies[GENERATE_ASSESSMENT].config.tries == 4
    assert all(policy.config.attempt_timeout == 17.0 for policy in policies.values())


def test_environment_overrides_one_task_only() -> None:
    settings = Settings.from_env(
        {
            "RETRY_GENERATE_ASSESSMENT_TRIES": "6",
            "RETRY_GENERATE_ASSESSMENT_INITIAL_DELAY": "0.25",
            "RETRY_SEND_EMAIL_MAX_DELAY": "9",
        }
    )
    policies = retry_policies(settings)
    assessment = policies[GENERATE_ASSESSMENT].config
    assert (assessment.tries, assessment.initial_delay) == (6, 0.25)
    assert policies[SEND_EMAIL].config.max_delay == 9.0
    assert policies[SEND_EMAIL].config.tries == 5  # untouched default


def test_a_misspelt_task_is_refused_at_start_up() -> None:
    settings = Settings.from_env({"RETRY_GENERATE_ASESSMENT_TRIES": "6"})
    with pytest.raises(ValueError, match="generate_asessment"):
        retry_policies(settings)


def test_a_non_numeric_override_is_refused() -> None:
    with pytest.raises(ValueError, match="RETRY_SEND_EMAIL_TRIES"):
        Settings.from_env({"RETRY_SEND_EMAIL_TRIES": "many"})
