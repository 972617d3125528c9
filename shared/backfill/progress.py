"""Thread-safe progress: counts, rate and an ETA that counts the days still in flight.

The ETA divides the work left by the observed throughput of the workers:

    mean day duration d = 1.2 s, 15 workers, 300 days pending, 15 in flight for 0.5 s
    work left = 300 * 1.2 + 15 * max(1.2 - 0.5, 0) = 370.5 worker-seconds
    ETA = 370.5 / 15 = 24.7 s

Reporters (a tqdm bar, PROGRESS blocks in the log) read snapshots; the engine
never prints.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from shared.backfill.results import DayResult, DayStatus


@dataclass(frozen=True)
class ProgressSnapshot:
    total: int
    processed: int
    successful: int
    failed: int
    skipped: int
    records: int
    elapsed_s: float
    eta_s: float | None
    # Days not written because their new rows would shrink the table.
    held: int = 0

    @property
    def days_per_hour(self) -> float:
        return self.processed / self.elapsed_s * 3600 if self.elapsed_s > 0 else 0.0

    @property
    def success_rate(self) -> float:
        return self.successful / self.processed * 100 if self.processed else 0.0

    @property
    def avg_records(self) -> float:
        return self.records / self.successful if self.successful else 0.0


class ProgressReporter(Protocol):
    def update(self, results: Sequence[DayResult], snapshot: ProgressSnapshot) -> None: ...

    def close(self, snapshot: ProgressSnapshot) -> None: ...


class NullReporter:
    """The no-op twin, for tests and --quiet runs."""

    def update(self, results: Sequence[DayResult], snapshot: ProgressSnapshot) -> None:
        return None

    def close(self, snapshot: ProgressSnapshot) -> None:
        return None


class ProgressTracker:
    def __init__(
        self, total: int, workers: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = total
        self.workers = max(workers, 1)
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._counts = {status: 0 for status in DayStatus}
        self._records = 0
        self._durations: list[tuple[float, date]] = []
        self._duration_total = 0.0
        self._in_flight: dict[int, tuple[float, int]] = {}

    def started(self, token: int, days: int) -> None:
        with self._lock:
            self._in_flight[token] = (self._clock(), days)

    def finished(self, token: int) -> None:
        with self._lock:
            self._in_flight.pop(token, None)

    def record(self, result: DayResult) -> ProgressSnapshot:
        with self._lock:
            self._counts[result.status] += 1
            if result.status is DayStatus.SUCCESS:
                self._records += result.rows
                self._durations.append((result.duration_s, result.day))
                self._duration_total += result.duration_s
            return self._snapshot()

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> ProgressSnapshot:
        processed = sum(self._counts.values())
        return ProgressSnapshot(
            total=self.total,
            processed=processed,
            successful=self._counts[DayStatus.SUCCESS],
            failed=self._counts[DayStatus.FAILED],
            skipped=self._counts[DayStatus.SKIPPED],
            held=self._counts[DayStatus.HELD],
            records=self._records,
            elapsed_s=self._clock() - self._started,
            eta_s=self._eta(processed),
        )

    def _eta(self, processed: int) -> float | None:
        if not self._durations:
            return None
        mean = self._duration_total / len(self._durations)
        now = self._clock()
        in_flight_days = sum(days for _, days in self._in_flight.values())
        in_flight_left = sum(
            max(mean * days - (now - since), 0.0) for since, days in self._in_flight.values()
        )
        pending = max(self.total - processed - in_flight_days, 0)
        return (pending * mean + in_flight_left) / self.workers

    def slowest(self, count: int = 5) -> list[tuple[float, date]]:
        with self._lock:
            return sorted(self._durations, reverse=True)[:count]

    def duration_percentiles(self) -> tuple[float, float] | None:
        """p50 and p95 of successful day durations, in seconds."""
        with self._lock:
            durations = sorted(duration for duration, _ in self._durations)
        if not durations:
            return None
        if len(durations) == 1:
            return durations[0], durations[0]
        cuts = statistics.quantiles(durations, n=20, method="inclusive")
        return statistics.median(durations), cuts[18]
