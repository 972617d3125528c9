"""Simulated time: job latencies drawn from a distribution, and a time scale that lets a
944-day run fit in a benchmark.

Every duration the simulator waits (a job's latency, a quota window, getQueryResults'
long poll) is in simulated seconds and runs ``scale`` times as long in real time:
with scale 0.1, a 2 s job takes 0.2 s. DuckDB's compute is real time and is not scaled.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Latency:
    """End-to-end latency of a job in simulated seconds: lognormal around ``median_s``.

    Small BigQuery jobs take about 1-3 s end to end (submit, queue, run, commit); with
    the defaults 90% of draws fall between 1.1 and 3.5 s.
    """

    median_s: float = 2.0
    sigma: float = 0.35
    # Dry runs only validate and estimate: no execution.
    dry_run_s: float = 0.2

    def draw(self, rng: random.Random) -> float:
        return self.median_s * math.exp(rng.gauss(0.0, self.sigma)) if self.sigma else self.median_s


class SimClock:
    """Simulated seconds since the simulator started, ``scale`` real seconds each."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        self.scale = scale
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) / self.scale

    def wait(self, event: threading.Event, sim_seconds: float) -> bool:
        """Waits until ``event`` is set or ``sim_seconds`` passed; True if it was set."""
        return event.wait(max(0.0, sim_seconds) * self.scale)

    def wait_for(self, condition: threading.Condition, sim_seconds: float) -> None:
        """Waits on a held ``condition`` for at most ``sim_seconds``."""
        condition.wait(max(0.0, sim_seconds) * self.scale)
