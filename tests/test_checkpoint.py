import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.backfill.checkpoint import (
    WRITE_INTERVAL_S,
    Checkpoint,
    checkpoint_path,
    read_checkpoint,
    run_lock,
    set_aside,
)
from shared.backfill.planning import calendar_days, plan_days
from shared.backfill.results import DayResult, DayStatus
from shared.errors import CheckpointError

START, END = date(2022, 1, 1), date(2022, 1, 31)
DAYS = calendar_days(START, END)


def open_checkpoint(directory: Path) -> Checkpoint:
    return Checkpoint.load_or_create(
        checkpoint_path(directory, "job", START, END, "duckdb:test"), "job", START, END
    )


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations(DAYS),
    finished=st.integers(min_value=0, max_value=len(DAYS)),
    failed=st.sets(st.sampled_from(DAYS), max_size=5),
)
def test_resume_skips_exactly_the_completed_days_whatever_the_finish_order(
    tmp_path_factory, order, finished, failed
):
    directory = tmp_path_factory.mktemp("cp")
    checkpoint = open_checkpoint(directory)
    completed = set()
    for day in order[:finished]:
        status = DayStatus.FAILED if day in failed else DayStatus.SUCCESS
        checkpoint.record(
            [DayResult(day=day, status=status, rows=5, error="boom" if day in failed else None)]
        )
        if day not in failed:
            completed.add(day)
    checkpoint.flush()
    resumed = open_checkpoint(directory).snapshot()
    assert resumed.done == completed
    plan = plan_days(DAYS, resumed.done, {d: 1 for d in DAYS})
    assert set(plan.to_run) == set(DAYS) - completed


def test_failed_days_keep_error_and_count_attempts_across_runs(tmp_path):
    day = date(2022, 1, 3)
    first = open_checkpoint(tmp_path)
    first.record([DayResult(day=day, status=DayStatus.FAILED, error="x", attempts=3)])
    first.flush()
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.record([DayResult(day=day, status=DayStatus.FAILED, error="y", attempts=2)])
    record = checkpoint.snapshot().failed[day]
    assert record.error == "y" and record.attempts == 5
    checkpoint.record([DayResult(day=day, status=DayStatus.SUCCESS, rows=7)])
    checkpoint.flush()
    assert day in open_checkpoint(tmp_path).snapshot().done


def test_file_is_readable_json_with_stats(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.record(
        [DayResult(day=START, status=DayStatus.SUCCESS, rows=250, units=8, coverage=0.97)]
    )
    checkpoint.record([DayResult(day=END, status=DayStatus.SKIPPED)])
    checkpoint.flush()
    data = json.loads(checkpoint.path.read_text())
    assert data["job"] == "job" and data["range"] == {"start": "2022-01-01", "end": "2022-01-31"}
    assert data["stats"] == {"success": 1, "failed": 0, "skipped": 1, "held": 0, "rows": 250}
    assert data["days"]["2022-01-01"]["coverage"] == 0.97


def test_many_threads_record_without_losing_a_day(tmp_path):
    many = [START + timedelta(days=i) for i in range(600)]
    checkpoint = Checkpoint.load_or_create(tmp_path / "big.json", "job", many[0], many[-1])

    def work(chunk):
        for day in chunk:
            checkpoint.record([DayResult(day=day, status=DayStatus.SUCCESS, rows=1)])

    threads = [threading.Thread(target=work, args=(many[i::15],)) for i in range(15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checkpoint.flush()
    assert read_checkpoint(tmp_path / "big.json").done == set(many)


@pytest.mark.parametrize("content", ["{not json", '{"schema_version": 99}', ""])
def test_corrupt_checkpoint_stops_with_instructions_and_is_not_replaced(tmp_path, content):
    path = checkpoint_path(tmp_path, "job", START, END, "duckdb:test")
    path.write_text(content)
    with pytest.raises(CheckpointError, match=r"corrupt .* Move it aside"):
        open_checkpoint(tmp_path)
    assert path.read_text() == content


def test_set_aside_keeps_every_backup_under_its_own_name(tmp_path):
    path = checkpoint_path(tmp_path, "job", START, END, "duckdb:test")
    for _ in range(8):
        first = open_checkpoint(tmp_path)
        first.record([DayResult(day=START, status=DayStatus.SUCCESS)])
        first.flush()
        assert set_aside(path) is not None
        assert open_checkpoint(tmp_path).snapshot().done == set()
    assert len(list(tmp_path.glob("*.bak"))) == 8
    assert set_aside(path) is None


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path):
    path = checkpoint_path(tmp_path, "job", START, END, "duckdb:test")
    probe = (
        "import sys; from pathlib import Path; from shared.backfill.checkpoint import run_lock\n"
        "from shared.errors import CheckpointError\n"
        "try:\n"
        f"    with run_lock(Path({str(path)!r})): print('acquired')\n"
        "except CheckpointError as exc: print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with run_lock(path):
        held = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env
        )
    assert f"in use by another backfill (PID {os.getpid()})" in held.stdout
    free = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert free.stdout.strip() == "acquired"


def test_outcomes_reach_the_file_within_the_write_interval_without_a_flush(tmp_path):
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.record([DayResult(day=START, status=DayStatus.SUCCESS)])
    checkpoint.record([DayResult(day=END, status=DayStatus.SUCCESS)])
    deadline = time.monotonic() + WRITE_INTERVAL_S * 10
    while read_checkpoint(checkpoint.path).done != {START, END}:
        assert time.monotonic() < deadline, "deferred write never landed"
        time.sleep(WRITE_INTERVAL_S / 4)


def test_a_failed_deferred_write_is_forgotten_once_a_later_write_succeeds(tmp_path, monkeypatch):
    """A full disk for a moment: the deferred write fails, the next flush lands the whole
    state, and recording goes on (the old error stopped the run after the disk recovered)."""
    from shared.backfill import checkpoint as module

    real = module.write_atomically
    calls: list[int] = []
    failed = threading.Event()

    def flaky(path, text):
        calls.append(1)
        if len(calls) == 2:
            failed.set()
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr(module, "write_atomically", flaky)
    checkpoint = open_checkpoint(tmp_path)
    checkpoint.record([DayResult(day=DAYS[0], status=DayStatus.SUCCESS)])
    checkpoint.record([DayResult(day=DAYS[1], status=DayStatus.SUCCESS)])
    assert failed.wait(WRITE_INTERVAL_S * 20), "the deferred write never ran"
    for thread in threading.enumerate():  # the writer stores its error as its thread ends
        if isinstance(thread, threading.Timer):
            thread.join(10)
    checkpoint.flush()
    checkpoint.record([DayResult(day=DAYS[2], status=DayStatus.SUCCESS)])
    checkpoint.flush()
    assert read_checkpoint(checkpoint.path).done == set(DAYS[:3])
