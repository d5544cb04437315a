"""The tasks that call outside services, and how each retries by default.

A caller waits on the interactive tasks (questions, resume, room), so they give up sooner;
background tasks (assessment, email) can afford longer waits. Each default can be overridden
from the environment: RETRY_<TASK>_TRIES, RETRY_<TASK>_INITIAL_DELAY, RETRY_<TASK>_MAX_DELAY,
e.g. RETRY_GENERATE_ASSESSMENT_TRIES=5.
"""

from typing import Final

from services.platform.retry import RetryConfig, RetryPolicy
from services.platform.settings import Settings

GENERATE_QUESTIONS: Final = "generate questions"
EXTRACT_RESUME: Final = "extract resume"
GENERATE_ASSESSMENT: Final = "generate assessment"
SEND_EMAIL: Final = "send email"
CREATE_ROOM: Final = "create room"
ASK_ASSISTANT: Final = "ask assistant"
EMBED_TRANSCRIPT: Final = "embed transcript"
# Profiles from names: named after the service, so a give-up message names it.
GENDERIZE: Final = "genderize"
AGIFY: Final = "agify"
NATIONALIZE: Final = "nationalize"

DEFAULTS: Final[dict[str, RetryConfig]] = {
    GENERATE_QUESTIONS: RetryConfig(tries=3, initial_delay=1.0, max_delay=10.0),
    EXTRACT_RESUME: RetryConfig(tries=3, initial_delay=1.0, max_delay=10.0),
    CREATE_ROOM: RetryConfig(tries=3, initial_delay=0.5, max_delay=5.0),
    ASK_ASSISTANT: RetryConfig(tries=3, initial_delay=1.0, max_delay=10.0),
    # Failing only costs the assistant its embeddings (BM25 picks the turns), so give up fast.
    EMBED_TRANSCRIPT: RetryConfig(tries=2, initial_delay=0.5, max_delay=2.0),
    GENERATE_ASSESSMENT: RetryConfig(tries=4, initial_delay=2.0, max_delay=60.0),
    SEND_EMAIL: RetryConfig(tries=5, initial_delay=1.0, max_delay=60.0),
    # An admin waits on createProfile(s): a few short waits, then UPSTREAM_UNAVAILABLE.
    GENDERIZE: RetryConfig(tries=3, initial_delay=0.5, max_delay=10.0),
    AGIFY: RetryConfig(tries=3, initial_delay=0.5, max_delay=10.0),
    NATIONALIZE: RetryConfig(tries=3, initial_delay=0.5, max_delay=10.0),
}


# The outside service each task calls: the `service` label of the upstream metrics.
SERVICES: Final[dict[str, str]] = {
    GENERATE_QUESTIONS: "gemini",
    EXTRACT_RESUME: "gemini",
    CREATE_ROOM: "livekit",
    ASK_ASSISTANT: "gemini",
    EMBED_TRANSCRIPT: "gemini",
    GENERATE_ASSESSMENT: "gemini",
    SEND_EMAIL: "resend",
    GENDERIZE: "genderize",
    AGIFY: "agify",
    NATIONALIZE: "nationalize",
}


def env_key(task: str) -> str:
    """ "generate assessment" -> "generate_assessment" (the RETRY_<TASK>_* spelling, lower)."""
    return task.replace(" ", "_")


def retry_policies(settings: Settings) -> dict[str, RetryPolicy]:
    """One policy per task: the defaults above, the RETRY_* overrides, the upstream timeout."""
    known = {env_key(task) for task in DEFAULTS}
    unknown = sorted(set(settings.retry_overrides) - known)
    if unknown:
        raise ValueError(
            f"unknown retry task(s) in RETRY_* variables: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    policies = {}
    for task, config in DEFAULTS.items():
        override = settings.retry_overrides.get(env_key(task), {})
        configured = RetryConfig(
            tries=int(override.get("tries", config.tries)),
            initial_delay=override.get("initial_delay", config.initial_delay),
            max_delay=override.get("max_delay", config.max_delay),
            # The SDKs time out after upstream_timeout_seconds; this guard only catches a hang
            # the SDK's own timeout missed.
            attempt_timeout=settings.upstream_timeout_seconds + 5.0,
        )
        policies[task] = RetryPolicy(task, configured, service=SERVICES[task])
    return policies
