"""The backfill as a user runs it: exit codes, output, checkpoint and the table's contents."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from shared.backfill.runner import BackfillRunner
from shared.errors import WarehouseError
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.cli_helpers import ROOT, checkpoint_days, start_backfill, table_rows, wait_for
from tests.conftest import END, RANGE, START


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-date", "2022-13-01"], "--start-date: '2022-13-01' is not a date"),
        (["--start-date", "2022-01-10", "--end-date", "2022-01-01"], "is after --end-date"),
        (["--start-date", "2022-01-10", "--end-date", "2999-01-01"], "is in the future"),
        (["--dates", " , "], "--dates: no dates given"),
        (["--workers", "0", "--parallel"], "--workers must be 1..100"),
        (["--batch-days", "0"], "--batch-days must be at least 1"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(env, capsys, args, message):
    _, checkpoints, flags = env
    assert main([*flags, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not checkpoints.exists() or not list(checkpoints.glob("*.json"))


def test_missing_warehouse_is_a_config_error(tmp_path, capsys):
    assert (
        main(
            [
                *RANGE,
                "--warehouse",
                str(tmp_path / "none.duckdb"),
                "--checkpoint-dir",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "python -m shared.nba.sample_data" in capsys.readouterr().err


def test_bigquery_without_credentials_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(*args, **kwargs):
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setattr(google.auth, "default", no_credentials)
    code = main(
        [
            *RANGE,
            "--warehouse",
            "bigquery",
            "--project",
            "my-project",
            "--checkpoint-dir",
            str(tmp_path / "cp"),
            "--log-dir",
            str(tmp_path / "logs"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        "error: no Google credentials found: run `gcloud auth application-default login` "
        "or set GOOGLE_APPLICATION_CREDENTIALS"
    ]


def test_parallel_run_equals_sequential_and_passes_validation(env, reference_rows, capsys):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags, "--parallel", "--workers", "4"]) == 0
    assert table_rows(warehouse) == reference_rows
    out, err = capsys.readouterr()
    assert "BACKFILL COMPLETE" in out and "validation" in out and "FAIL" not in out
    assert "BACKFILL COMPLETE" not in err  # results on stdout, diagnostics on stderr
    days = checkpoint_days(checkpoints)
    assert len(days) == 28 and {d["status"] for d in days.values()} <= {"success", "skipped"}


def test_rerun_is_idempotent_and_resume_skips_done_days(env, reference_rows, capsys):
    warehouse, _, flags = env
    assert main([*RANGE, *flags]) == 0
    capsys.readouterr()
    assert main([*RANGE, *flags]) == 0
    out, err = capsys.readouterr()
    assert "0 to run" in err and "validation" not in out
    assert out.startswith("Nothing to do: 28 day(s) of 2022-01-01..2022-01-28 already done")
    assert main([*RANGE, *flags, "--no-resume", "--parallel", "--workers", "3"]) == 0
    assert table_rows(warehouse) == reference_rows


@pytest.mark.parametrize("batch_days", ["7", "30"])
def test_batched_run_equals_per_day(env, reference_rows, batch_days):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags, "--parallel", "--workers", "3", "--batch-days", batch_days]) == 0
    assert table_rows(warehouse) == reference_rows
    assert len(checkpoint_days(checkpoints)) == 28


def test_a_bad_day_in_a_batch_fails_alone(env, monkeypatch, capsys):
    _, checkpoints, flags = env
    break_days(monkeypatch, {date(2022, 1, 12)})
    assert main([*RANGE, *flags, "--batch-days", "7", "--max-retries", "0"]) == 1
    assert "failed (simulated permanent failure); splitting it" in capsys.readouterr().err
    days = checkpoint_days(checkpoints)
    assert [d for d, rec in days.items() if rec["status"] == "failed"] == ["2022-01-12"]
    assert len(days) == 28


def test_kill_9_in_the_middle_of_a_batched_run_then_resume(env, reference_rows, tmp_path):
    warehouse, checkpoints, flags = env
    batched = [*RANGE, *flags, "--batch-days", "4", "--parallel", "--workers", "2"]
    process = start_backfill(batched, tmp_path / "out.log", latency=0.4)
    wait_for(lambda: len(checkpoint_days(checkpoints)) >= 4)
    process.kill()
    process.wait(timeout=10)
    assert len(checkpoint_days(checkpoints)) < 28
    assert main(batched) == 0
    assert table_rows(warehouse) == reference_rows


def test_dry_run_writes_nothing_and_explains_every_day(env, capsys):
    warehouse, checkpoints, flags = env
    before = warehouse.stat().st_mtime_ns
    assert main([*RANGE, *flags, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "DRY RUN" in out and out.count("pending") >= 20 and "total: 28 days" in out
    assert not checkpoints.exists() or not list(checkpoints.glob("*.json"))
    assert warehouse.stat().st_mtime_ns == before


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_within_seconds_with_exit_130_and_resumes(env, reference_rows, tmp_path, sig):
    warehouse, checkpoints, flags = env
    slow = [*RANGE, *flags, "--parallel", "--workers", "3"]
    process = start_backfill(slow, tmp_path / "out.log", latency=0.3)
    wait_for(lambda: len(checkpoint_days(checkpoints)) >= 4)
    process.send_signal(sig)
    assert process.wait(timeout=10) == 130
    output = (tmp_path / "out.log").read_text()
    assert "BACKFILL INTERRUPTED" in output
    assert len(checkpoint_days(checkpoints)) < 28
    # The printed command, copied: it keeps every flag that shapes the run.
    resume = shlex.split(output.split("Resume (done days are skipped):\n")[1].splitlines()[0])
    assert resume[resume.index("--batch-days") + 1] == "1"
    assert resume[resume.index("--workers") + 1] == "3"
    assert main(resume[2:]) == 0
    assert table_rows(warehouse) == reference_rows


def test_ctrl_c_with_every_day_left_in_flight_finishes_them_and_says_so(
    env, reference_rows, monkeypatch, capsys
):
    """With 60-day batches the whole range is one batch: a Ctrl-C once it runs starts nothing
    new and leaves nothing undone, so the run ends as finished, with no resume command."""
    warehouse, checkpoints, flags = env
    in_flight, stop_requested = threading.Event(), threading.Event()
    process, request_stop = PlayerGameSummaryJob.process, BackfillRunner.request_stop

    def process_after_the_stop(self, days):
        in_flight.set()
        stop_requested.wait(10)
        return process(self, days)

    def request_stop_and_tell(self):
        request_stop(self)
        stop_requested.set()

    monkeypatch.setattr(PlayerGameSummaryJob, "process", process_after_the_stop)
    monkeypatch.setattr(BackfillRunner, "request_stop", request_stop_and_tell)
    threading.Thread(
        target=lambda: in_flight.wait(10) and os.kill(os.getpid(), signal.SIGINT), daemon=True
    ).start()
    code = main([*RANGE, *flags, "--batch-days", "60", "--parallel", "--workers", "2"])
    out, err = capsys.readouterr()
    assert stop_requested.is_set()
    assert code == 130
    assert "SIGINT received" in err and "Interrupted when every day left had started" in err
    assert "Nothing to resume: every day finished" in out and "Resume" not in out
    assert len(checkpoint_days(checkpoints)) == 28
    assert table_rows(warehouse) == reference_rows


def test_kill_9_then_rerun_gives_the_uninterrupted_table(env, reference_rows, tmp_path):
    warehouse, checkpoints, flags = env
    process = start_backfill(
        [*RANGE, *flags, "--parallel", "--workers", "4"], tmp_path / "out.log", latency=0.2
    )
    wait_for(lambda: len(checkpoint_days(checkpoints)) >= 6)
    process.kill()
    process.wait(timeout=10)
    assert 6 <= len(checkpoint_days(checkpoints)) < 28
    assert main([*RANGE, *flags, "--parallel", "--workers", "4"]) == 0
    assert table_rows(warehouse) == reference_rows


def test_second_process_on_the_same_checkpoint_is_refused(env, tmp_path, capsys):
    _, checkpoints, flags = env
    process = start_backfill([*RANGE, *flags], tmp_path / "out.log", latency=0.3)
    try:
        wait_for(lambda: len(checkpoint_days(checkpoints)) >= 1)
        assert main([*RANGE, *flags]) == 2
        assert f"in use by another backfill (PID {process.pid})" in capsys.readouterr().err
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_corrupt_checkpoint_stops_the_run_with_instructions(env, capsys):
    _, checkpoints, flags = env
    checkpoints.mkdir()
    path = checkpoints / f"player_game_summary_{START}_{END}.json"
    path.write_text('{"schema_version": 1, "days": {')
    assert main([*RANGE, *flags]) == 2
    err = capsys.readouterr().err
    assert "is corrupt" in err and "--no-resume" in err
    assert path.read_text() == '{"schema_version": 1, "days": {'


def test_transient_retried_permanent_failed_then_retry_command_fixes_it(
    env, reference_rows, monkeypatch, capsys
):
    warehouse, checkpoints, flags = env
    flaky, broken = date(2022, 1, 5), date(2022, 1, 12)
    flaky_left = {"count": 2}
    original = DuckDBWarehouse.replace_partitions

    def failing(self, table, select, params, days, guard=None, **options):
        if flaky in days and flaky_left["count"] > 0:
            flaky_left["count"] -= 1
            raise WarehouseError("simulated write-write conflict", transient=True)
        if broken in days:
            raise WarehouseError("simulated permanent failure")
        return original(self, table, select, params, days, guard, **options)

    monkeypatch.setattr("shared.backfill.retry.INITIAL_WAIT_S", 0.01)
    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", failing)
    assert main([*RANGE, *flags, "--parallel", "--workers", "3"]) == 1
    out, err = capsys.readouterr()
    assert "✗ 2022-01-12: simulated permanent failure" in err
    assert "Failed dates (1):" in out and "--retry-failed" in out
    days = checkpoint_days(checkpoints)
    assert days["2022-01-05"]["status"] == "success" and days["2022-01-05"]["attempts"] == 3
    assert days["2022-01-12"] == days["2022-01-12"] | {"status": "failed", "attempts": 1}

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", original)
    retry_line = next(line for line in out.splitlines() if "--retry-failed" in line)
    python, script, *retry_args = shlex.split(retry_line)
    assert script.endswith("player_game_summary_analytics_backfill.py")
    assert main([*retry_args, "--log-dir", str(warehouse.parent / "logs")]) == 0
    assert checkpoint_days(checkpoints)["2022-01-12"]["status"] == "success"
    assert table_rows(warehouse) == reference_rows


def test_dates_without_range_mark_the_failed_days_done_in_the_ranges_checkpoint(
    env, reference_rows, monkeypatch
):
    warehouse, checkpoints, flags = env
    break_days(monkeypatch, {date(2022, 1, 12), date(2022, 1, 14)})
    assert main([*RANGE, *flags]) == 1
    monkeypatch.undo()
    assert main([*flags, "--dates", "2022-01-12,2022-01-14"]) == 0
    assert len(list(checkpoints.glob("*.json"))) == 1
    days = checkpoint_days(checkpoints)
    assert days["2022-01-12"]["status"] == days["2022-01-14"]["status"] == "success"
    assert table_rows(warehouse) == reference_rows


def test_status_shows_calendar_and_json(env, capsys):
    _, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    capsys.readouterr()
    assert main(["status", *RANGE, "--checkpoint-dir", str(checkpoints)]) == 0
    out = capsys.readouterr().out
    assert "2022-01  " in out and "D D" in out and "legend" in out
    assert main(["status", *RANGE, "--checkpoint-dir", str(checkpoints), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["pending"] == 0 and data["counts"]["total"] == 28


def test_status_prints_the_resume_command_the_run_would_have(env, capsys):
    """The run's own resume command and status's are one rendering: both keep --batch-days."""
    _, checkpoints, flags = env
    later = ["--start-date", START, "--end-date", "2022-02-10"]
    assert main([*later, *flags, "--dates", "2022-01-05", "--parallel", "--workers", "2"]) == 0
    capsys.readouterr()
    assert main(["status", *later, "--checkpoint-dir", str(checkpoints)]) == 0
    resume = shlex.split(capsys.readouterr().out.split("resume:")[1].splitlines()[0])
    assert resume[resume.index("--batch-days") + 1] == "1"
    assert resume[resume.index("--workers") + 1] == "2"
    assert resume[resume.index("--end-date") + 1] == "2022-02-10"


def break_days(monkeypatch, broken: set[date]) -> None:
    original = DuckDBWarehouse.replace_partitions

    def failing(self, table, select, params, days, guard=None, **options):
        if broken & set(days):
            raise WarehouseError("simulated permanent failure")
        return original(self, table, select, params, days, guard, **options)

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", failing)


@pytest.mark.parametrize(
    ("flags", "failures_allowed"), [(["--fail-fast"], 1), (["--max-failures", "2"], 2)]
)
def test_failure_limits_stop_new_days_exit_1_and_stay_resumable(
    env, monkeypatch, capsys, flags, failures_allowed
):
    _, checkpoints, base = env
    break_days(monkeypatch, {date(2022, 1, 3), date(2022, 1, 4), date(2022, 1, 5)})
    assert main([*RANGE, *base, *flags]) == 1
    err = capsys.readouterr().out
    assert (
        "BACKFILL STOPPED EARLY" in err and f"stopped after {failures_allowed} failed day(s)" in err
    )
    days = checkpoint_days(checkpoints)
    assert sum(d["status"] == "failed" for d in days.values()) == failures_allowed
    assert "2022-01-20" not in days and "Resume" in err


def test_dry_run_gives_a_reason_for_every_day(env, monkeypatch, capsys):
    _, _, flags = env
    break_days(monkeypatch, {date(2022, 1, 5)})
    assert main([*RANGE, *flags, "--fail-fast"]) == 1
    monkeypatch.undo()
    capsys.readouterr()
    assert main([*RANGE, *flags, "--dry-run"]) == 0
    lines = {line[:10]: line for line in capsys.readouterr().out.splitlines()}
    assert "done in checkpoint" in lines["2022-01-04"]
    assert "failed before (1 attempts)" in lines["2022-01-05"]
    assert "pending" in lines["2022-01-20"]


@pytest.mark.parametrize("started_as", [".venv/bin/pgs-backfill", "/opt/tools/bin/pgs-backfill"])
def test_printed_commands_name_the_console_script_as_started(env, capsys, monkeypatch, started_as):
    """Started as .venv/bin/pgs-backfill, the commands to go on say so (a bare pgs-backfill
    fails unless .venv/bin is on PATH); found elsewhere on PATH, they name its path."""
    _, _, flags = env
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", [started_as])
    assert main([*flags, "--start-date", "2022-01-03", "--end-date", "2022-01-04"]) == 0
    capsys.readouterr()
    assert (
        main(["status", *flags[:4], "--start-date", "2022-01-03", "--end-date", "2022-01-06"]) == 0
    )
    resume = capsys.readouterr().out.split("resume:")[1].split()
    assert resume[0] == started_as and resume[1:3] == ["--warehouse", flags[1]]
    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"\n  {started_as} --dates 2022-01-10,2022-01-17\n" in capsys.readouterr().out


def test_a_dry_run_without_days_says_so(env, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags, "--retry-failed", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == "no days to run"


def test_analytics_dataset_is_a_schema_on_duckdb(env, capsys):
    warehouse, _, flags = env
    args = [*flags, "--start-date", "2022-01-03", "--end-date", "2022-01-04"]
    assert main([*args, "--analytics-dataset", "scratch"]) == 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'player_game_summary'"
        ).fetchall()
        written = connection.execute("SELECT COUNT(*) FROM scratch.player_game_summary").fetchone()[
            0
        ]
    assert tables == [("scratch",)] and written > 0
    capsys.readouterr()
    # Each target has its own checkpoint of the range: the default one runs, nothing refused.
    assert main(args) == 0
    assert len(list(Path(flags[flags.index("--checkpoint-dir") + 1]).glob("*.json"))) == 2
