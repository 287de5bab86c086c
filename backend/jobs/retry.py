"""The retry policy: how long a failed job waits, and what ends it for good."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from backend.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, and the limits that end a job."""

    max_attempts: int = 5
    """Attempts (runs that started) before a job is dead."""
    base_seconds: float = 2.0
    """The first retry waits up to this long; each further one up to twice as long."""
    cap_seconds: float = 600.0
    """No retry waits longer than this."""
    poison_crashes: int = 3
    """A job whose runs kill the worker this many times is dead as poison."""

    def delay_ms(self, attempt: int, rng: Callable[[], float] = random.random) -> int:
        """Delay before the retry after ``attempt`` failed (half fixed, half jitter)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return int(1000 * ceiling * (0.5 + 0.5 * rng()))


def retry_policy(settings: Settings) -> RetryPolicy:
    """The retry rules the settings ask for."""
    return RetryPolicy(
        max_attempts=settings.job_max_attempts, base_seconds=settings.retry_base_seconds
    )
