from datetime import date

from shared.backfill.progress import ProgressTracker
from shared.backfill.results import DayResult, DayStatus


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def success(day: int, seconds: float, rows: int = 100) -> DayResult:
    return DayResult(
        day=date(2022, 1, day), status=DayStatus.SUCCESS, rows=rows, duration_s=seconds
    )


def test_eta_counts_pending_and_in_flight_days_over_the_workers():
    clock = Clock()
    tracker = ProgressTracker(total=20, workers=4, clock=clock)
    assert tracker.snapshot().eta_s is None
    tracker.record(success(1, 2.0))
    tracker.record(success(2, 2.0))
    tracker.started(token=1, days=1)
    tracker.started(token=2, days=1)
    clock.now = 0.5
    snapshot = tracker.snapshot()
    # 16 pending days x 2 s + 2 in flight x (2 - 0.5) s = 35 worker-seconds over 4 workers
    assert snapshot.eta_s == 35 / 4
    tracker.finished(1)
    tracker.record(success(3, 2.0))
    assert tracker.snapshot().processed == 3


def test_counts_rate_and_percentiles():
    clock = Clock()
    tracker = ProgressTracker(total=10, workers=1, clock=clock)
    for day, seconds in enumerate([1.0, 1.0, 1.0, 9.0], start=1):
        tracker.record(success(day, seconds, rows=50))
    tracker.record(DayResult(day=date(2022, 1, 9), status=DayStatus.FAILED, error="x"))
    tracker.record(DayResult(day=date(2022, 1, 10), status=DayStatus.SKIPPED))
    clock.now = 3600.0
    snapshot = tracker.snapshot()
    assert (snapshot.successful, snapshot.failed, snapshot.skipped) == (4, 1, 1)
    assert snapshot.records == 200 and snapshot.avg_records == 50
    assert snapshot.days_per_hour == 6
    assert tracker.slowest(1) == [(9.0, date(2022, 1, 4))]
    p50, p95 = tracker.duration_percentiles()
    assert p50 == 1.0 and p95 > 7
