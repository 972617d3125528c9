"""No surprises: every fault of the environment or the input is one line with a meaningful exit
code, the same command gives the same exit code, and progress is never thrown away early."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date

import duckdb
import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from shared.backfill.checkpoint import SCHEMA_VERSION
from shared.errors import WarehouseError
from shared.warehouse.base import PartitionedTable
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql
from tests.cli_helpers import (
    ROOT,
    SCRIPT,
    catches,
    checkpoint_days,
    checkpoint_file,
    start_backfill,
    wait_for,
)
from tests.conftest import END, RANGE, START

NAME = f"player_game_summary_{START}_{END}.json"


def one_line_error(capsys, text: str = "") -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert text in err, err
    return err


# -- 1. exit codes mean what they say --------------------------------------------------


def _network_errors() -> list[BaseException]:
    import requests
    import urllib3

    return [
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
        socket.gaierror(-3, "Temporary failure in name resolution"),
        requests.exceptions.ConnectionError("Max retries exceeded with url: /bigquery/v2"),
        urllib3.exceptions.ProtocolError("Connection aborted."),
    ]


@pytest.mark.parametrize("error", _network_errors(), ids=lambda e: type(e).__name__)
def test_a_network_error_at_the_top_is_exit_1_not_a_usage_error(env, capsys, monkeypatch, error):
    """The same command may work once the network does: not a refusal of the command (2)."""
    _, checkpoints, flags = env

    def unreachable(*_args, **_kwargs):
        raise error

    monkeypatch.setattr("shared.backfill.run_command.open_warehouse", unreachable)
    assert main([*RANGE, *flags]) == 1
    assert one_line_error(capsys).startswith("error: network: ")
    assert not checkpoint_days(checkpoints)


def test_an_environment_refusal_stays_exit_2(env, capsys, monkeypatch):
    _, _, flags = env

    def refused(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", "/srv/warehouse.duckdb")

    monkeypatch.setattr("shared.backfill.run_command.open_warehouse", refused)
    assert main([*RANGE, *flags]) == 2
    one_line_error(capsys, "error: Permission denied: /srv/warehouse.duckdb")


def test_reruns_of_healthy_days_are_not_judged_on_population_bands(env, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags]) == 0
    capsys.readouterr()
    assert main([*flags, "--dates", "2022-01-04,2022-01-05"]) == 0
    out = capsys.readouterr().out
    assert "shown, not judged: 2 game day(s), bands need 30" in out and "PASS: all" in out


def test_a_range_without_games_exits_0_every_time(env, capsys):
    warehouse, _, flags = env
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("DELETE FROM nba_raw.nbac_schedule WHERE game_date <= '2022-01-03'")
    days = ["--start-date", "2022-01-01", "--end-date", "2022-01-03"]
    assert main([*days, *flags]) == 0
    assert main([*days, *flags]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Nothing to do: 3 day(s)")


def test_structural_checks_still_fail_a_short_range(env, monkeypatch, capsys):
    _, _, flags = env
    original = DuckDBWarehouse.replace_partitions

    def duplicating(self, table, select, params, days, guard=None, **options):
        rows = original(self, table, select, params, days, guard, **options)
        self.execute(Sql("dup", f"INSERT INTO {table.name} SELECT * FROM {table.name} LIMIT 1"), {})
        return rows

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", duplicating)
    assert main([*flags, "--dates", "2022-01-04"]) == 1
    assert "duplicate (game_id, player_lookup)" in capsys.readouterr().out


# -- 2. no traceback for faults of the environment or input ----------------------------


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        ("[]", "days is []"),
        ("null", "days is None"),
        ('{"2022-01-03": "success"}', "day 2022-01-03: the record is 'success'"),
        ('{"2022-01-03": {"status": "success", "rows": "many"}}', "rows is 'many'"),
        ('{"2022-01-03": {"status": "failed", "attempts": "x"}}', "attempts is 'x'"),
    ],
)
def test_checkpoints_of_the_wrong_shape_are_corrupt_in_one_line(env, capsys, days, problem):
    _, checkpoints, flags = env
    checkpoints.mkdir()
    text = (
        f'{{"schema_version": {SCHEMA_VERSION}, "job": "player_game_summary", '
        f'"range": {{"start": "{START}", "end": "{END}"}}, "days": {days}}}'
    )
    (checkpoints / NAME).write_text(text)
    assert main([*RANGE, *flags]) == 2
    one_line_error(capsys, problem)
    # status refuses it the same way: its days can be neither trusted nor left out.
    assert main(["status", *RANGE, *flags[2:4]]) == 2
    assert "Move it aside" in one_line_error(capsys, problem)
    assert (checkpoints / NAME).read_text() == text


def test_runs_that_are_not_a_list_and_binary_checkpoints_are_corrupt(env, capsys):
    _, checkpoints, flags = env
    checkpoints.mkdir()
    path = checkpoints / NAME
    path.write_text(
        json.dumps(
            {"schema_version": SCHEMA_VERSION, "job": "x", "range": {}, "days": {}, "runs": "abc"}
        )
    )
    assert main([*RANGE, *flags]) == 2
    one_line_error(capsys, "runs is 'abc'")
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    assert main([*RANGE, *flags]) == 2
    one_line_error(capsys, "not UTF-8 text")


def test_status_of_a_checkpoint_from_a_domain_scoped_project(env, capsys):
    _, checkpoints, flags = env
    checkpoints.mkdir()
    run = {
        "warehouse": "bigquery:example.com:proj:nba_raw:nba_analytics",
        "warehouse_flags": ["--warehouse", "bigquery", "--project", "example.com:proj"],
        "mode": "parallel",
        "workers": 15,
    }
    state = {
        "schema_version": SCHEMA_VERSION,
        "job": "player_game_summary",
        "range": {"start": START, "end": END},
        "days": {},
        "runs": [run],
    }
    (checkpoints / NAME).write_text(json.dumps(state))
    bigquery = ["--warehouse", "bigquery", "--project", "example.com:proj"]
    assert main(["status", *RANGE, "--checkpoint-dir", str(checkpoints), *bigquery]) == 0
    resume = capsys.readouterr().out.split("resume:")[1].split()
    assert resume[2:8] == ["--warehouse", "bigquery", "--project", "example.com:proj"] + [
        "--checkpoint-dir",
        str(checkpoints),
    ]
    assert "--parallel" in resume and "15" in resume


def test_added_latency_is_no_flag_of_the_command(env, capsys):
    """Benchmarks and drills add it through tests.doubles.slow_job, outside the product."""
    _, _, flags = env
    assert main([*RANGE, *flags, "--simulate-latency", "0.3"]) == 2
    one_line_error(capsys, "unrecognized arguments: --simulate-latency 0.3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--end-date", "0001-01-03"], "leaves no 7 days before it"),
        (["--worker", "3"], "unrecognized arguments: --worker 3"),
        (["--log-dir", "/dev/null", *RANGE], "cannot write a log file in --log-dir /dev/null"),
        (["--log-dir", "/tmp/" + "x" * 5000, *RANGE], "(File name too long)"),
        (["--checkpoint-dir", "/dev/null/cp", *RANGE], "pass a writable --checkpoint-dir"),
        (["--analytics-dataset", "bad-name", *RANGE], "is not a schema name for DuckDB"),
    ],
)
def test_odd_paths_and_dates_are_one_line_exit_2(env, capsys, args, message):
    _, checkpoints, flags = env
    assert main([*flags, *args]) == 2
    one_line_error(capsys, message)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_checkpoint_dir_is_one_line(env, capsys):
    _, checkpoints, flags = env
    checkpoints.mkdir(mode=0o500)
    assert main([*RANGE, *flags]) == 2
    one_line_error(capsys, "pass a writable --checkpoint-dir")


def test_the_system_python_is_told_to_use_the_venv(tmp_path):
    bare = subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
    )
    assert bare.returncode == 2 and "Traceback" not in bare.stderr
    assert "run `make venv` and use .venv/bin/python" in bare.stderr


# -- 3. a failed commit shows its cause ---------------------------------------------------


class _FailingCommit:
    """A cursor whose commit fails as DuckDB's does on a full disk: the transaction is over."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    def commit(self) -> None:
        self._cursor.rollback()
        raise duckdb.TransactionException(
            'TransactionContext Error: Failed to commit: Could not write file "w.duckdb.wal": '
            "No space left on device"
        )

    def __getattr__(self, name: str) -> object:
        return getattr(self._cursor, name)


def test_a_failed_commit_reports_its_own_cause_and_is_not_retried(env, monkeypatch):
    warehouse, _, _ = env
    original = DuckDBWarehouse._cursor
    monkeypatch.setattr(DuckDBWarehouse, "_cursor", lambda self: _FailingCommit(original(self)))
    store = DuckDBWarehouse(warehouse)
    table = PartitionedTable("nba_raw.nbac_schedule", "game_date", Sql("ddl", ""))
    select = Sql("copy", "SELECT * FROM nba_raw.nbac_schedule WHERE game_date = @start_date")

    with pytest.raises(WarehouseError) as raised:
        store.replace_partitions(
            table, select, {"start_date": date(2022, 1, 3)}, [date(2022, 1, 3)]
        )
    assert "No space left on device" in str(raised.value) and not raised.value.transient
    store.close()


def test_write_write_conflicts_are_transient():
    from shared.warehouse.duckdb_warehouse import _warehouse_error

    conflict = duckdb.TransactionException("TransactionContext Error: Conflict on tuple deletion!")
    assert _warehouse_error("s", conflict).transient


# -- 4. never throw progress away early ------------------------------------------------------


def test_no_resume_refused_by_a_lock_or_a_missing_warehouse_keeps_the_checkpoint(
    env, tmp_path, capsys
):
    warehouse, checkpoints, flags = env
    path = checkpoint_file(checkpoints, warehouse, START, END)
    assert main([*RANGE, *flags]) == 0
    before = path.read_text()
    missing = [*flags[2:], "--warehouse", str(tmp_path / "gone.duckdb")]
    assert main([*RANGE, *missing, "--no-resume"]) == 2
    process = start_backfill([*RANGE, *flags], tmp_path / "out.log", latency=1)
    try:
        wait_for(lambda: path.with_suffix(".lock").read_text().strip() == str(process.pid))
        assert main([*RANGE, *flags, "--no-resume"]) == 2
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not list(checkpoints.glob("*.bak"))
    assert json.loads(path.read_text())["days"] == json.loads(before)["days"]


def test_no_resume_with_listed_days_touches_only_those_days(env, capsys):
    _, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    before = checkpoint_days(checkpoints)
    assert main([*RANGE, *flags, "--dates", "2022-01-05", "--no-resume"]) == 0
    after = checkpoint_days(checkpoints)
    assert not list(checkpoints.glob("*.bak"))
    assert {d for d in after if after[d] != before[d]} == {"2022-01-05"}


def test_leftover_temp_files_of_a_killed_write_are_removed(env):
    warehouse, checkpoints, flags = env
    checkpoints.mkdir()
    name = checkpoint_file(checkpoints, warehouse, START, END).name
    leftover = checkpoints / f".{name}.abc123.tmp"
    leftover.write_text('{"half": ')
    assert main([*RANGE, *flags, "--dates", "2022-01-05"]) == 0
    assert not leftover.exists()


# -- 6. signals at any moment ----------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_start_up_is_an_interrupt_with_exit_130(env, tmp_path, sig):
    _, checkpoints, flags = env
    process = start_backfill([*RANGE, *flags], tmp_path / "out.log", latency=2)
    wait_for(lambda: (tmp_path / "logs").exists() and any((tmp_path / "logs").iterdir()))
    time.sleep(0.3)
    process.send_signal(sig)
    assert process.wait(timeout=15) == 130
    output = (tmp_path / "out.log").read_text()
    assert "Traceback" not in output and "interrupted" in output
    assert not checkpoint_days(checkpoints)


def test_a_double_ctrl_c_reports_real_figures(env, tmp_path):
    _, checkpoints, flags = env
    slow = [*RANGE, *flags, "--parallel", "--workers", "2"]
    process = start_backfill(slow, tmp_path / "out.log", latency=0.5)
    wait_for(lambda: len(checkpoint_days(checkpoints)) >= 2)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 130
    output = (tmp_path / "out.log").read_text()
    assert "Traceback" not in output
    elapsed = next(line for line in output.splitlines() if "Elapsed:" in line)
    assert elapsed.split()[-1] != "0:00:00"
    rate = next(line for line in output.splitlines() if "Rate:" in line)
    assert "n/a" in rate or int(rate.split()[1].replace(",", "")) < 100_000


# -- 7. output a person and a program can use ----------------------------------------------


def test_results_go_to_stdout_and_diagnostics_to_stderr(env, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags]) == 0
    out, err = capsys.readouterr()
    assert "BACKFILL COMPLETE" in out
    # 28 game days: the population bands are shown, not judged, and the verdict says so.
    assert "PASS: all 4 judged checks passed (4 shown as INFO, not judged)" in out
    assert "Log file:" in err and "BACKFILL COMPLETE" not in err and "✓ 2022-01-03" in err


def test_no_color_turns_the_status_calendar_plain(env, capsys, monkeypatch):
    _, _, flags = env
    assert main([*flags, "--dates", "2022-01-05"]) == 0
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["status", *RANGE, *flags[2:4]]) == 0
    assert "\033[" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["status", *RANGE, *flags[2:4]]) == 0
    assert "\033[" not in capsys.readouterr().out


def test_version_and_help_list_the_commands(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert (
        exited.value.code == 0 and "player_game_summary backfill 0.1.0" in capsys.readouterr().out
    )
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "status     every checkpoint" in text and "validate   the job's checks" in text


def test_the_printed_resume_command_runs_as_copied(env, tmp_path):
    """The resume line of an interrupted run, pasted into a shell, finishes the range."""
    _, checkpoints, flags = env
    slow = [*RANGE, *flags, "--parallel", "--workers", "2"]
    process = start_backfill(slow, tmp_path / "out.log", latency=0.3)
    wait_for(lambda: len(checkpoint_days(checkpoints)) >= 2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 130
    lines = (tmp_path / "out.log").read_text().splitlines()
    resume = lines[lines.index("  Resume (done days are skipped):") + 1].strip()
    assert resume.split()[0] == os.path.relpath(sys.executable, ROOT)
    finished = subprocess.run(resume, shell=True, cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert len(checkpoint_days(checkpoints)) == 28


def test_a_log_file_that_fills_up_mid_run_is_one_warning(capsys):
    """/dev/full takes the open and refuses every write, as a disk that filled up does."""
    import logging

    from shared.backfill.console import _LogFile

    handler = _LogFile("/dev/full", encoding="utf-8")
    for number in range(3):
        handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, f"day {number}", (), None))
    handler.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "warning: cannot write the log file /dev/full any more (No space left on device); "
        "going on without it"
    ]


@pytest.mark.parametrize("latency", [0, 0.3], ids=["script", "slow_job"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_command_starts_is_an_interrupt(env, tmp_path, sig, latency):
    """Sent while the interpreter imports the project (once the script has its SIGTERM handler,
    its first act, not after a guessed delay: under load the interpreter itself took longer
    than one, and a signal before any code runs is the system's): exit 130, one line."""
    _, checkpoints, flags = env
    process = start_backfill([*RANGE, *flags], tmp_path / "out.log", latency=latency)
    wait_for(lambda: catches(process.pid, signal.SIGTERM), interval=0.002)
    process.send_signal(sig)
    assert process.wait(timeout=15) == 130
    output = (tmp_path / "out.log").read_text()
    assert "Traceback" not in output and "interrupted" in output
    assert "Log file" not in output and not checkpoint_days(checkpoints)
