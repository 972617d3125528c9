"""The generic executor: runs batches of days with N workers, records every day's outcome.

With one worker it is a plain loop in the calling thread; with more, a thread pool
with at most ``workers`` batches in flight, so a stop request starts nothing new and
the run ends within seconds. Either way each outcome goes through ``_record``: the
checkpoint first (only after the day's write committed), then progress and the log.

A failing batch is bisected down to the day that fails, unless both its halves fail with the
same error (a SQL bug fails every day alike): then its days fail with that error at once. A failing bulk write (a long range
as one write) instead falls back to per-day batches, queued for the workers: they find the
bad day in one round and write the others. Bulk writes run one at a time (a warehouse may
refuse concurrent transactions on one table).
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.backfill.causes import describe_error, same_cause
from shared.backfill.checkpoint import Checkpoint, now
from shared.backfill.console import LOG_FILE_ONLY, PER_DAY
from shared.backfill.fingerprints import Fingerprint
from shared.backfill.job import Job
from shared.backfill.planning import split_batch
from shared.backfill.progress import ProgressReporter, ProgressTracker
from shared.backfill.results import DayResult, DayStatus, RunOutcome, share_cost
from shared.backfill.retry import Attempted, call_with_retries
from shared.errors import BackfillError, WarehouseError
from shared.warehouse.base import JobCost

logger = logging.getLogger(__name__)

Batch = tuple[date, ...]
DayInputs = Callable[[date], Mapping[str, Fingerprint]]


@dataclass(frozen=True)
class RunOptions:
    workers: int = 1
    max_retries: int = 3
    max_failures: int | None = None
    # After a stop request, in-flight batches get this long to finish before the
    # warehouse is asked to cancel them (they then stay pending for the next run).
    stop_grace_s: float = 5.0
    # What the job's units of work are called in log lines ("games").
    unit_name: str = "units"


class BackfillRunner:
    def __init__(
        self,
        job: Job,
        checkpoint: Checkpoint,
        tracker: ProgressTracker,
        reporter: ProgressReporter,
        options: RunOptions,
        *,
        interrupt: Callable[[], None] = lambda: None,
        sleep: Callable[[float], None] = time.sleep,
        day_inputs: DayInputs = lambda day: {},
        version: str | None = None,
        take_cost: Callable[[], JobCost | None] = lambda: None,
    ) -> None:
        """``day_inputs`` and ``version``: the inputs' fingerprints taken before the run and the
        transform version, journaled with each day it writes (they decide only for a day that
        writes no rows); ``take_cost``: what the warehouse billed this thread since the last
        call."""
        self._job = job
        self._checkpoint = checkpoint
        self._tracker = tracker
        self._reporter = reporter
        self._options = options
        self._interrupt = interrupt
        self._sleep = sleep
        self._day_inputs = day_inputs
        self._version = version
        self._take_cost = take_cost
        self._stopping = threading.Event()
        self._stop_signal: Future[None] = Future()
        self._interrupt_timer: threading.Timer | None = None
        self._record_lock = threading.Lock()
        self._tokens = itertools.count()
        self._outcome = RunOutcome()
        self._failures = 0
        self._work_units: Mapping[date, int] = {}
        # (batch, bulk) still to start, the next one last; workers add per-day fallbacks.
        self._queue: collections.deque[tuple[Batch, bool]] = collections.deque()
        self._queue_lock = threading.Lock()
        self._bulk_lock = threading.Lock()
        self._finished = False
        # Where a bug's location is looked for: the engine's package and the job's.
        self._packages = ("shared", type(job).__module__.partition(".")[0])

    @property
    def outcome(self) -> RunOutcome:
        """What has finished so far (the whole run's outcome once ``run`` returned)."""
        return self._outcome

    @property
    def finished(self) -> bool:
        """Whether ``run`` has ended: a stop now has nothing left to stop."""
        return self._finished

    def request_stop(self) -> None:
        """Ctrl-C / SIGTERM: start no new days; cancel what still runs after a grace period.
        After the run ended, the command is still interrupted, with nothing left undone."""
        if self._finished and not self._outcome.interrupted:
            self._outcome.interrupted = self._outcome.stop_came_late = True
        if self._outcome.interrupted or self._finished:
            return
        self._outcome.interrupted = True
        self._stopping.set()
        if not self._stop_signal.done():
            self._stop_signal.set_result(None)
        self._interrupt_timer = threading.Timer(self._options.stop_grace_s, self._interrupt)
        self._interrupt_timer.daemon = True
        self._interrupt_timer.start()

    def _halt(self, reason: str) -> None:
        """Stop starting days but let in-flight ones finish (failure limit, exhausted quota)."""
        if self._outcome.halt_reason is None:
            self._outcome.halt_reason = reason
        self._stopping.set()
        if not self._stop_signal.done():
            self._stop_signal.set_result(None)

    def record_without_running(self, results: Sequence[DayResult]) -> None:
        """Record outcomes known without touching the warehouse (days with nothing to do)."""
        started = now()
        self._record(
            [
                replace(
                    r, started_at=started, inputs=self._day_inputs(r.day), version=self._version
                )
                for r in results
            ]
        )

    def run(
        self, batches: Sequence[Batch], work_units: Mapping[date, int], *, bulk: bool = False
    ) -> RunOutcome:
        """Runs ``batches``; ``bulk``: each is a long range written as one bulk write."""
        self._work_units = work_units
        self._queue.extend((batch, bulk) for batch in reversed(batches))
        started = time.monotonic()
        try:
            if self._options.workers == 1:
                while not self._stopping.is_set() and (item := self._next()) is not None:
                    self._run_batch(*item)
            else:
                self._run_pool()
        finally:
            self._finished = True
            if self._interrupt_timer is not None:
                self._interrupt_timer.cancel()
            self._checkpoint.flush()
            self._outcome.elapsed_s = time.monotonic() - started
        self._settle_late_stop(batches)
        return self._outcome

    def _next(self) -> tuple[Batch, bool] | None:
        with self._queue_lock:
            return self._queue.pop() if self._queue else None

    def _settle_late_stop(self, batches: Sequence[Batch]) -> None:
        """A stop that left nothing undone: with 60-day batches, a Ctrl-C often comes when every
        day left is in flight, and they all finish. The run is still interrupted (exit 130, as
        for any stop), but there is nothing to resume."""
        outcome = self._outcome
        recorded = {result.day for result in outcome.results}
        if outcome.interrupted and all(day in recorded for batch in batches for day in batch):
            outcome.stop_came_late = True

    def _run_pool(self) -> None:
        with ThreadPoolExecutor(self._options.workers, thread_name_prefix="backfill") as pool:
            in_flight: set[Future[None]] = set()
            while self._queue or in_flight:
                while len(in_flight) < self._options.workers and not self._stopping.is_set():
                    item = self._next()
                    if item is None:
                        break
                    in_flight.add(pool.submit(self._run_batch, *item))
                if not in_flight:
                    break
                waiting = in_flight if self._stopping.is_set() else in_flight | {self._stop_signal}
                done, _ = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done - {self._stop_signal}:
                    in_flight.discard(future)
                    future.result()

    def _run_batch(self, batch: Batch, bulk: bool = False) -> None:
        token = next(self._tokens)
        self._tracker.started(token, len(batch))
        try:
            self._record(self._attempt(batch, bulk))
        finally:
            self._tracker.finished(token)

    def _process(self, batch: Batch, bulk: bool) -> Sequence[DayResult]:
        if not bulk:
            return self._job.process(batch)
        with self._bulk_lock:
            return self._job.process(batch, bulk=True)

    def _try(self, batch: Batch, bulk: bool = False) -> _Tried:
        """One batch through the job, with retries of transient errors; its cost shared out."""
        started = time.monotonic()
        started_at = now()
        self._take_cost()
        attempted = call_with_retries(
            lambda: self._process(batch, bulk),
            max_retries=self._options.max_retries,
            stop_event=self._stopping,
            sleep=self._sleep,
        )
        costs = share_cost(self._take_cost(), len(batch))
        return _Tried(batch, attempted, started, started_at, costs)

    def _attempt(self, batch: Batch, bulk: bool = False) -> list[DayResult]:
        """Results of a batch; a batch that keeps failing is bisected down to single days, a
        bulk write falls back to per-day batches (queued, their results recorded as they
        finish)."""
        return self._settle(self._try(batch, bulk), bulk)

    def _settle(self, tried: _Tried, bulk: bool = False) -> list[DayResult]:
        batch, error = tried.batch, tried.attempted.error
        if error is None:
            assert tried.attempted.value is not None
            return [
                replace(
                    result,
                    attempts=tried.attempted.attempts,
                    started_at=tried.started_at,
                    inputs=self._day_inputs(result.day),
                    version=self._version,
                    cost=cost,
                )
                for result, cost in zip(tried.attempted.value, tried.costs, strict=True)
            ]
        if self._outcome.interrupted:
            logger.info("stopped %s..%s before it finished; it stays pending", batch[0], batch[-1])
            return []
        if _stops_run(error):
            self._halt(self._describe(error))
        elif bulk and not self._stopping.is_set():
            logger.warning(
                "bulk write of %s..%s failed (%s); writing its days one by one",
                batch[0],
                batch[-1],
                self._describe(error),
            )
            with self._queue_lock:
                self._queue.extend(
                    ((day,), False) for day in reversed(batch) if day in self._work_units
                )
            return [
                DayResult(
                    day=day,
                    status=DayStatus.SKIPPED,
                    started_at=tried.started_at,
                    inputs=self._day_inputs(day),
                    version=self._version,
                )
                for day in batch
                if day not in self._work_units
            ]
        elif len(batch) > 1 and not self._stopping.is_set():
            logger.warning(
                "batch %s..%s failed (%s); splitting it",
                batch[0],
                batch[-1],
                self._describe(error),
            )
            return self._bisect(batch)
        return self._failed(tried)

    def _bisect(self, batch: Batch) -> list[DayResult]:
        """Both halves of a failed batch tried; when both fail with the same error (a SQL bug
        fails every day alike), their days fail with it instead of splitting further: a
        60-day batch then costs 3 statements, not 119. Halves that differ (one bad day) are
        split on down to the day."""
        first, second = split_batch(batch, self._work_units)
        tried_first = self._try(first)
        first_error = tried_first.attempted.error
        if first_error is None or self._stopping.is_set() or _stops_run(first_error):
            return self._settle(tried_first) + self._attempt(second)
        tried_second = self._try(second)
        second_error = tried_second.attempted.error
        if (
            second_error is not None
            and not self._stopping.is_set()
            and not _stops_run(second_error)
            and same_cause(first_error, second_error)
        ):
            logger.warning(
                "both halves of %s..%s failed the same way (%s); not splitting it further",
                batch[0],
                batch[-1],
                self._describe(first_error),
            )
            return self._failed(tried_first) + self._failed(tried_second)
        return self._settle(tried_first) + self._settle(tried_second)

    def _failed(self, tried: _Tried) -> list[DayResult]:
        """The batch's days failed with its error; a bug's traceback goes to the log file
        (and to the terminal too under --debug)."""
        batch, error = tried.batch, tried.attempted.error
        assert error is not None
        if not isinstance(error, BackfillError):
            shown = {} if logger.isEnabledFor(logging.DEBUG) else LOG_FILE_ONLY
            logger.error(
                "unexpected error in %s..%s", batch[0], batch[-1], exc_info=error, extra=shown
            )
        duration = (time.monotonic() - tried.started) / len(batch)
        return [
            DayResult(
                day=day,
                status=DayStatus.FAILED,
                duration_s=duration,
                error=self._describe(error),
                attempts=tried.attempted.attempts,
                started_at=tried.started_at,
                cost=cost,
            )
            for day, cost in zip(batch, tried.costs, strict=True)
        ]

    def _describe(self, error: BaseException) -> str:
        return describe_error(error, self._packages)

    def _record(self, results: Sequence[DayResult]) -> None:
        with self._record_lock:
            self._checkpoint.record(results)
            for result in results:
                snapshot = self._tracker.record(result)
                self._outcome.results.append(result)
                log_result(result, self._options.unit_name)
                self._reporter.update([result], snapshot)
                self._failures += result.status is DayStatus.FAILED
            failures = self._failures
        limit = self._options.max_failures
        if limit is not None and failures >= limit:
            self._halt(f"stopped after {failures} failed day(s) (limit {limit})")


@dataclass(frozen=True)
class _Tried:
    """One try of a batch: its outcome, when it began, and its days' shares of the cost."""

    batch: Batch
    attempted: Attempted[Sequence[DayResult]]
    started: float
    started_at: datetime
    costs: list[JobCost | None]


def _stops_run(error: BaseException) -> bool:
    return isinstance(error, WarehouseError) and error.stop_run


def log_result(result: DayResult, unit_name: str) -> None:
    """One line per day, marked per_day: the log file always has it, the console only
    when no progress bar is shown."""
    if result.status is DayStatus.SUCCESS:
        coverage = f", coverage {result.coverage:.0%}" if result.coverage is not None else ""
        logger.info(
            "✓ %s: %d records, %d %s%s (%.2fs)",
            result.day,
            result.rows,
            result.units,
            unit_name,
            coverage,
            result.duration_s,
            extra=PER_DAY,
        )
    elif result.status is DayStatus.SKIPPED:
        logger.info("· %s: skipped, no %s", result.day, unit_name, extra=PER_DAY)
    elif result.status is DayStatus.HELD:
        logger.warning("‖ %s: held, not written: %s", result.day, result.error, extra=PER_DAY)
    else:
        logger.error(
            "✗ %s: %s (attempt %d)", result.day, result.error, result.attempts, extra=PER_DAY
        )
