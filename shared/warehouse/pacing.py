"""Quota-aware pacing of table updates, so many workers approach BigQuery's limits without
a storm of rate-limit errors and retries.

BigQuery allows 50 update operations per 10 seconds on one table; every partition-decorator
query, copy into a partition, partition delete or DML statement is one
(https://cloud.google.com/bigquery/quotas#partitioned_tables). Past it a job fails with
rateLimitExceeded and costs a backoff. A token bucket per target table keeps the rate of
operations just under the limit, and at most 2 mutating DML statements per table run at once
(BigQuery runs 2 and queues 20; the 23rd fails:
https://cloud.google.com/bigquery/docs/data-manipulation-language#dml_statement_conflicts).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# BigQuery's limit, and the default pace just under it: 45 per 10 s leaves room for a
# burst of 5, so no 10-second window ever holds more than 50 operations started here.
TABLE_UPDATES_LIMIT_PER_10S = 50
DEFAULT_TABLE_UPDATES_PER_10S = 45.0
DML_RUNNING_PER_TABLE = 2


class TokenBucket:
    """``rate`` operations per second with bursts of ``burst``, first come first served.

    Virtual scheduling (GCRA): each caller reserves the next free slot under a lock and then
    waits outside it, so any window of W seconds admits at most ``burst + rate * W``. With
    rate 4.5/s and burst 5: at most 5 + 45 = 50 per 10 s.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be positive and burst at least 1 (got {rate}, {burst})")
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Reserves one operation; returns how long the caller must wait before it."""
        with self._lock:
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self._interval
            return max(0.0, slot - self._tolerance - now)


@dataclass(frozen=True)
class PacingStats:
    operations: int
    waits: int
    waited_s: float


class TablePacer:
    """One token bucket and one DML gate per table; ``updates_per_10s`` None turns it off."""

    def __init__(self, updates_per_10s: float | None, stopping: threading.Event) -> None:
        self.updates_per_10s = updates_per_10s
        self._stopping = stopping
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._dml: dict[str, threading.BoundedSemaphore] = {}
        self._operations = 0
        self._waits = 0
        self._waited_s = 0.0

    @property
    def enabled(self) -> bool:
        return self.updates_per_10s is not None

    def before_update(self, table: str) -> None:
        """Blocks until ``table`` may take one more update operation (returns at once when
        pacing is off or the run is stopping)."""
        if self.updates_per_10s is None:
            return
        with self._lock:
            bucket = self._buckets.get(table)
            if bucket is None:
                burst = max(1, int(TABLE_UPDATES_LIMIT_PER_10S - self.updates_per_10s))
                bucket = TokenBucket(self.updates_per_10s / 10.0, burst)
                self._buckets[table] = bucket
        delay = bucket.reserve()
        if delay > 0:
            self._stopping.wait(delay)
        with self._lock:
            self._operations += 1
            self._waits += delay > 0
            self._waited_s += delay

    @contextmanager
    def dml(self, table: str) -> Iterator[None]:
        """Holds one of the table's DML slots (no limit when pacing is off)."""
        if self.updates_per_10s is None:
            yield
            return
        with self._lock:
            gate = self._dml.setdefault(table, threading.BoundedSemaphore(DML_RUNNING_PER_TABLE))
        with gate:
            yield

    def stats(self) -> PacingStats:
        with self._lock:
            return PacingStats(self._operations, self._waits, round(self._waited_s, 3))
