"""Retry policies for tests: real policy, tiny delays, optionally without jitter."""

from services.platform.retry import Jitter, RetryConfig, RetryPolicy
from services.platform.retry_tasks import DEFAULTS, SERVICES


def fast_policies(
    *, tries: int = 3, initial_delay: float = 0.05, max_delay: float = 1.0, jitter: Jitter = float
) -> dict[str, RetryPolicy]:
    """Every task with these numbers; `float` as jitter makes each wait its exact bound."""
    config = RetryConfig(
        tries=tries, initial_delay=initial_delay, max_delay=max_delay, attempt_timeout=5.0
    )
    return {
        task: RetryPolicy(task, config, service=SERVICES[task], jitter=jitter) for task in DEFAULTS
    }
