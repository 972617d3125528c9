import threading
from collections.abc import Sequence
from datetime import date

import pytest

from shared.backfill.checkpoint import Checkpoint, checkpoint_path
from shared.backfill.planning import calendar_days, make_batches
from shared.backfill.progress import NullReporter, ProgressTracker
from shared.backfill.results import DayResult, DayStatus
from shared.backfill.runner import BackfillRunner, RunOptions
from shared.errors import WarehouseError

START, END = date(2022, 1, 1), date(2022, 1, 20)
DAYS = calendar_days(START, END)


class FakeJob:
    """A job whose outcome per day is scripted; records every batch it was given."""

    name = "fake"

    def __init__(self, bad=(), flaky=None, quota_on=None):
        self.bad = set(bad)
        self.flaky = dict(flaky or {})
        self.quota_on = quota_on
        self.calls: list[tuple[date, ...]] = []
        self.lock = threading.Lock()

    def prepare(self):
        return None

    def work_units(self, start, end):
        return {d: 2 for d in calendar_days(start, end)}

    def process(self, days: Sequence[date]):
        # The lock guards the script's bookkeeping only, so workers really run side by side.
        with self.lock:
            self.calls.append(tuple(days))
            flaky = [day for day in days if self.flaky.get(day, 0) > 0]
            for day in flaky[:1]:
                self.flaky[day] -= 1
        if self.quota_on in days:
            raise WarehouseError("quota exceeded", stop_run=True)
        if flaky:
            raise WarehouseError("rate limited", transient=True)
        if self.bad & set(days):
            raise WarehouseError(f"bad day {min(self.bad & set(days))}")
        return [DayResult(day=d, status=DayStatus.SUCCESS, rows=10, units=2) for d in days]


class MeetingJob(FakeJob):
    """Each call waits until ``parties`` calls are in flight at once (or times out)."""

    def __init__(self, parties):
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=10)

    def process(self, days: Sequence[date]):
        self.barrier.wait()
        return super().process(days)


def make_runner(tmp_path, job, workers=1, **options):
    checkpoint = Checkpoint.load_or_create(
        checkpoint_path(tmp_path, "fake", START, END, "duckdb:test"), "fake", START, END
    )
    tracker = ProgressTracker(total=len(DAYS), workers=workers)
    sleeps: list[float] = []
    runner = BackfillRunner(
        job,
        checkpoint,
        tracker,
        NullReporter(),
        RunOptions(workers=workers, **options),
        sleep=sleeps.append,
    )
    return runner, checkpoint, sleeps


@pytest.mark.parametrize("workers", [1, 4])
def test_every_day_recorded_once(tmp_path, workers):
    runner, checkpoint, _ = make_runner(tmp_path, FakeJob(), workers)
    outcome = runner.run(make_batches(DAYS, FakeJob().work_units(START, END), 1), {})
    assert sorted(r.day for r in outcome.results) == DAYS
    assert checkpoint.snapshot().done == set(DAYS)


def test_four_workers_run_four_batches_at_once(tmp_path):
    """A barrier of 4 parties: it breaks (and the days fail) unless 4 calls overlap."""
    job = MeetingJob(4)
    runner, checkpoint, _ = make_runner(tmp_path, job, workers=4)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert outcome.failed == []
    assert checkpoint.snapshot().done == set(DAYS)


@pytest.mark.parametrize("workers", [1, 4])
def test_transient_errors_are_retried_with_backoff(tmp_path, workers):
    flaky_day = date(2022, 1, 5)
    job = FakeJob(flaky={flaky_day: 2})
    runner, checkpoint, sleeps = make_runner(tmp_path, job, workers, max_retries=3)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert not outcome.failed
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] - 1
    assert checkpoint.snapshot().days[flaky_day].attempts == 3


def test_retries_exhausted_fail_the_day_with_its_attempts(tmp_path):
    job = FakeJob(flaky={date(2022, 1, 5): 10})
    runner, checkpoint, sleeps = make_runner(tmp_path, job, max_retries=2)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert [(r.day, r.attempts) for r in outcome.failed] == [(date(2022, 1, 5), 3)]
    assert checkpoint.snapshot().failed[date(2022, 1, 5)].error == "rate limited"


def test_permanent_errors_are_not_retried(tmp_path):
    runner, _, sleeps = make_runner(tmp_path, FakeJob(bad={date(2022, 1, 7)}), max_retries=5)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert [r.day for r in outcome.failed] == [date(2022, 1, 7)] and sleeps == []


@pytest.mark.parametrize("workers", [1, 4])
def test_a_failing_batch_is_bisected_so_only_the_bad_day_fails(tmp_path, workers):
    bad = date(2022, 1, 6)
    job = FakeJob(bad={bad})
    runner, checkpoint, _ = make_runner(tmp_path, job, workers, max_retries=0)
    units = job.work_units(START, END)
    outcome = runner.run(make_batches(DAYS, units, 8), units)
    assert [r.day for r in outcome.failed] == [bad]
    assert checkpoint.snapshot().done == set(DAYS) - {bad}
    assert (bad,) in job.calls and len(job.calls) <= 3 + 2 * 3


def test_fail_fast_starts_no_new_day_after_a_failure(tmp_path):
    runner, checkpoint, _ = make_runner(tmp_path, FakeJob(bad={date(2022, 1, 3)}), max_failures=1)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert outcome.halt_reason and "1 failed" in outcome.halt_reason
    assert max(r.day for r in outcome.results) == date(2022, 1, 3)


def test_quota_exhaustion_stops_the_run(tmp_path):
    runner, _, _ = make_runner(tmp_path, FakeJob(quota_on=date(2022, 1, 4)), workers=1)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert outcome.halt_reason == "quota exceeded"
    assert len(outcome.results) == 4


@pytest.mark.parametrize("workers", [1, 4])
def test_stop_request_starts_nothing_new_and_keeps_done_days(tmp_path, workers):
    job = FakeJob()
    runner, checkpoint, _ = make_runner(tmp_path, job, workers)
    original = job.process

    def process_then_stop(days):
        result = original(days)
        if days[0] == date(2022, 1, 3):
            runner.request_stop()
        return result

    job.process = process_then_stop
    outcome = runner.run([(d,) for d in DAYS], {})
    assert outcome.interrupted
    assert len(job.calls) <= 3 + workers
    assert checkpoint.snapshot().done == {r.day for r in outcome.results}


@pytest.mark.parametrize("workers", [1, 4])
def test_stop_cancels_days_still_running_after_the_grace_period(tmp_path, workers):
    started, cancelled = threading.Event(), threading.Event()

    class SlowJob(FakeJob):
        def process(self, days):
            started.set()
            if cancelled.wait(10):
                raise WarehouseError("job cancelled")
            return super().process(days)

    job = SlowJob()
    checkpoint = Checkpoint.load_or_create(
        checkpoint_path(tmp_path, "fake", START, END, "duckdb:test"), "fake", START, END
    )
    runner = BackfillRunner(
        job,
        checkpoint,
        ProgressTracker(total=len(DAYS), workers=workers),
        NullReporter(),
        RunOptions(workers=workers, stop_grace_s=0.1),
        interrupt=cancelled.set,
    )
    threading.Thread(target=lambda: started.wait(10) and runner.request_stop()).start()
    outcome = runner.run([(d,) for d in DAYS], {})
    assert cancelled.is_set() and outcome.interrupted
    assert outcome.results == [] and checkpoint.snapshot().days == {}


@pytest.mark.parametrize("workers", [1, 4])
def test_a_stop_with_every_day_left_in_flight_lets_them_finish_with_nothing_to_resume(
    tmp_path, workers
):
    job = FakeJob()
    runner, checkpoint, _ = make_runner(tmp_path, job, workers)
    original = job.process

    def stop_then_process(days):
        runner.request_stop()
        return original(days)

    job.process = stop_then_process
    outcome = runner.run([tuple(DAYS)], {})
    assert outcome.interrupted and outcome.stop_came_late
    assert checkpoint.snapshot().done == set(DAYS)


def test_a_stop_after_the_run_ended_interrupts_with_nothing_left_undone(tmp_path):
    runner, _, _ = make_runner(tmp_path, FakeJob())
    outcome = runner.run([(d,) for d in DAYS], {})
    assert not outcome.stop_came_late
    runner.request_stop()
    assert outcome.interrupted and outcome.stop_came_late


class BuggyJob(FakeJob):
    """A job with a bug: a KeyError on one day, raised from this file (the job's package)."""

    def process(self, days: Sequence[date]):
        if date(2022, 1, 6) in days:
            return {}["games"]
        return super().process(days)


def test_a_bug_fails_its_day_with_the_type_message_and_place(tmp_path, caplog):
    runner, checkpoint, _ = make_runner(tmp_path, BuggyJob())
    outcome = runner.run([(d,) for d in DAYS], {})
    line = next(n for n, text in enumerate(open(__file__), 1) if '{}["games"]' in text)
    expected = f"KeyError: 'games' (at tests/test_runner.py:{line} in process)"
    assert [(r.day, r.error) for r in outcome.failed] == [(date(2022, 1, 6), expected)]
    assert checkpoint.snapshot().failed[date(2022, 1, 6)].error == expected
    traceback = next(r for r in caplog.records if r.exc_info)
    assert traceback.log_file_only and traceback.exc_info[0] is KeyError


class BrokenSqlJob(FakeJob):
    """Every batch fails with one error that names no day (a SQL bug)."""

    def process(self, days: Sequence[date]):
        with self.lock:
            self.calls.append(tuple(days))
        raise WarehouseError("Syntax error: Unexpected keyword FROM at [3:5]")


@pytest.mark.parametrize("workers", [1, 4])
def test_an_error_failing_every_day_alike_is_not_bisected(tmp_path, workers):
    job = BrokenSqlJob()
    runner, checkpoint, _ = make_runner(tmp_path, job, workers, max_retries=0)
    units = job.work_units(START, END)
    outcome = runner.run(make_batches(DAYS, units, 10), units)
    assert [r.day for r in outcome.failed] == DAYS
    assert {r.error for r in outcome.failed} == {"Syntax error: Unexpected keyword FROM at [3:5]"}
    assert set(checkpoint.snapshot().failed) == set(DAYS)
    # Each 10-day batch: itself and its two halves, instead of 2 * 10 - 1 statements.
    assert len(job.calls) == 2 * 3


def test_halves_failing_differently_are_bisected_to_their_days(tmp_path):
    bad = {date(2022, 1, 3), date(2022, 1, 9)}
    job = FakeJob(bad=bad)
    runner, checkpoint, _ = make_runner(tmp_path, job, max_retries=0)
    units = job.work_units(START, END)
    outcome = runner.run(make_batches(DAYS[:10], units, 10), units)
    assert {r.day for r in outcome.failed} == bad
    assert checkpoint.snapshot().done == set(DAYS[:10]) - bad
