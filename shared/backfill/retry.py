"""Retry policy for one unit of work: transient warehouse errors, exponential backoff, jitter.

The mechanism is tenacity's; what counts as transient is decided by the adapter
that raised (``WarehouseError.transient``), so this module knows no engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import tenacity

from shared.errors import WarehouseError

T = TypeVar("T")

# Backoff: 1 s, 2 s, 4 s ... capped at 60 s, each plus up to 1 s of jitter so
# 15 workers hitting the same rate limit do not retry in lockstep.
INITIAL_WAIT_S = 1.0
MAX_WAIT_S = 60.0


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, WarehouseError) and exc.transient


@dataclass(frozen=True)
class Attempted(Generic[T]):
    """The value, or the last error, of a call after all its attempts."""

    value: T | None
    error: Exception | None
    attempts: int


def call_with_retries(
    fn: Callable[[], T],
    *,
    max_retries: int,
    stop_event: threading.Event,
    sleep: Callable[[float], None] = time.sleep,
) -> Attempted[T]:
    """Run ``fn``; retry transient errors up to ``max_retries`` times (none once stopping)."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max_retries + 1)
        | tenacity.stop_when_event_set(stop_event),
        wait=tenacity.wait_exponential_jitter(
            multiplier=INITIAL_WAIT_S, max=MAX_WAIT_S, jitter=1.0
        ),
        retry=tenacity.retry_if_exception(is_transient),
        sleep=sleep,
        reraise=True,
    )
    try:
        value = retrying(fn)
    except Exception as exc:  # noqa: BLE001 - the caller records it as the day's failure
        return Attempted(None, exc, retrying.statistics.get("attempt_number", 1))
    return Attempted(value, None, retrying.statistics.get("attempt_number", 1))
