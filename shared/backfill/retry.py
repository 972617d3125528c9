"""Retry policy for one unit of work: transient warehouse errors, exponential backoff, jitter.

The mechanism is tenacity's; what counts as transient is decided by the adapter
that raised (``WarehouseError.transient``), so this module knows no engine.

A stop request (Ctrl-C, SIGTERM, a failure limit) sets ``stop_event``. The backoff waits on
that event, not in ``time.sleep``, so a stop ends a 60 s wait at once and no attempt follows
it: Cloud Run gives a task 10 s between SIGTERM and SIGKILL.
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


class _Stopped(Exception):
    """Raised out of the backoff when a stop was requested during it."""


def call_with_retries(
    fn: Callable[[], T],
    *,
    max_retries: int,
    stop_event: threading.Event,
    sleep: Callable[[float], None] | None = None,
) -> Attempted[T]:
    """Run ``fn``; retry transient errors up to ``max_retries`` times (none once stopping).

    The backoff waits on ``stop_event`` (``stop_event.wait(seconds)``): a stop request ends
    it at once, and the call returns the last error without another attempt. ``sleep``
    replaces that wait in tests (a recording function, so they never sleep); the stop is
    still checked after it. ``time.sleep`` (the runner's default) cannot be interrupted, so
    it is taken to mean the default.
    """
    calls = 0
    last_error: Exception | None = None

    def attempt() -> T:
        nonlocal calls, last_error
        calls += 1
        try:
            return fn()
        except Exception as exc:
            last_error = exc
            raise

    def backoff(seconds: float) -> None:
        if sleep is None or sleep is time.sleep:
            stop_event.wait(seconds)
        else:
            sleep(seconds)
        if stop_event.is_set():
            raise _Stopped

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max_retries + 1)
        | tenacity.stop_when_event_set(stop_event),
        wait=tenacity.wait_exponential_jitter(
            multiplier=INITIAL_WAIT_S, max=MAX_WAIT_S, jitter=1.0
        ),
        retry=tenacity.retry_if_exception(is_transient),
        sleep=backoff,
        reraise=True,
    )
    try:
        value = retrying(attempt)
    except _Stopped:
        return Attempted(None, last_error, calls)
    except Exception as exc:  # noqa: BLE001 - the caller records it as the day's failure
        return Attempted(None, exc, calls)
    return Attempted(value, None, calls)
