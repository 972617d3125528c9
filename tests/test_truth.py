"""Every status and exit code is true, output fits an 80-column terminal, and every flag a
command cannot honour is refused in one line (issue 16, items 3 to 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.precompute.player_shot_zone_analysis import (
    player_shot_zone_analysis_backfill as features,
)
from shared.backfill.reporting import LIST_LIMIT
from shared.nba.sample_data import writer
from tests.cli_helpers import checkpoint_file
from tests.conftest import END, RANGE, START

COMMAND_PREFIXES = ("resume:", "retry failed:", "rerun stale:")


def one_line_error(capsys, text: str = "") -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert text in err, err
    return out


def widest(text: str) -> int:
    """The widest line a person reads (copyable command lines are left whole)."""
    return max(len(line) for line in text.splitlines() if not line.startswith(COMMAND_PREFIXES))


def empty_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    return path


# -- 3. every status and exit code is true ------------------------------------------------


def test_status_refuses_a_corrupt_checkpoint_as_a_run_does(env, capsys):
    _, checkpoints, flags = env
    path = checkpoint_file(checkpoints, env[0], START, END)
    path.parent.mkdir()
    path.write_text("{bad")
    assert main([*RANGE, *flags]) == 2
    one_line_error(capsys, "is corrupt")
    assert main(["status", *RANGE, *flags[:4]]) == 2
    one_line_error(capsys, f"Move it aside (mv {path} {path}.bad)")


def test_a_checkpoint_holding_another_range_than_its_name_is_refused_everywhere(env, capsys):
    warehouse, checkpoints, flags = env
    assert main([*flags, "--start-date", "2022-01-03", "--end-date", "2022-01-04"]) == 0
    real = checkpoint_file(checkpoints, warehouse, "2022-01-03", "2022-01-04")
    renamed = checkpoint_file(checkpoints, warehouse, "2022-01-05", "2022-01-06")
    real.rename(renamed)
    capsys.readouterr()
    span = ["--start-date", "2022-01-05", "--end-date", "2022-01-06"]
    assert main(["status", *span, *flags[:4]]) == 2
    one_line_error(capsys, "holds player_game_summary 2022-01-03..2022-01-04")
    assert main([*span, *flags]) == 2
    one_line_error(capsys, "player_game_summary 2022-01-03..2022-01-04")


@pytest.mark.parametrize(
    ("job", "command", "missing"),
    [
        (main, ["status", "--verify"], "nba_raw.nbac_schedule"),
        (main, ["validate"], "nba_raw.nbac_schedule"),
        (main, ["--dry-run"], "nba_raw.nbac_schedule"),
        (main, [], "nba_raw.nbac_schedule"),
        (features.main, ["status", "--verify"], "nba_analytics.player_game_summary"),
        (features.main, ["validate"], "nba_analytics.player_game_summary"),
        (features.main, [], "nba_analytics.player_game_summary"),
    ],
)
def test_a_missing_table_is_one_line_and_exit_2_in_every_command(
    tmp_path, capsys, job, command, missing
):
    warehouse = empty_warehouse(tmp_path)
    flags = ["--warehouse", str(warehouse)]
    if command != ["validate"]:
        flags += ["--checkpoint-dir", str(tmp_path / "cp")]
    if not command or command == ["--dry-run"]:
        flags += ["--log-dir", str(tmp_path / "logs")]
    assert job([*command, *RANGE, *flags]) == 2
    out = one_line_error(capsys, f"warehouse has no {missing}")
    assert out == ""
    # A refusal leaves no log file behind.
    assert not list((tmp_path / "logs").glob("*.log"))


def test_validate_refuses_a_table_not_written_yet(tmp_path, seeded, capsys):
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(seeded.read_bytes())
    assert main(["validate", *RANGE, "--warehouse", str(warehouse)]) == 2
    one_line_error(capsys, "warehouse has no nba_analytics.player_game_summary yet")


def test_nothing_to_do_counts_the_done_days_of_the_range(env, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags]) == 0
    capsys.readouterr()
    assert main([*RANGE, *flags, "--retry-failed"]) == 0
    assert capsys.readouterr().out == (
        f"Nothing to do: no failed day in {START}..{END} to retry (28 of 28 day(s) done)\n"
    )
    assert main([*RANGE, *flags, "--stale"]) == 0
    out, err = capsys.readouterr()
    assert out == f"Nothing to do: no stale day in {START}..{END} (28 of 28 day(s) done)\n"
    assert "28 already done" in err


def test_the_verdict_counts_only_the_judged_checks(env, capsys):
    _, _, flags = env
    assert main([*flags, "--dates", "2022-01-04,2022-01-05"]) == 0
    verdict = capsys.readouterr().out.splitlines()[-1]
    assert verdict == "PASS: all 4 judged checks passed (4 shown as INFO, not judged)"


def test_status_without_dates_shows_the_latest_run_and_says_it_did_nothing(env, capsys):
    _, checkpoints, flags = env
    span = ["--start-date", "2022-01-10", "--end-date", "2022-01-12"]
    assert main([*span, *flags]) == 0
    assert main([*span, *flags]) == 0
    capsys.readouterr()
    assert main(["status", *flags[:4]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("player_game_summary 2022-01-10..2022-01-12, 3 days:\n  3 done")
    assert "nothing to do\n  it ran no day: every day asked for was done" in out
    assert "resume:" not in out


def test_status_without_dates_or_any_run_says_what_to_pass(tmp_path, capsys):
    assert main(["status", "--checkpoint-dir", str(tmp_path / "none")]) == 2
    one_line_error(capsys, "pass --start-date and --end-date")


# -- 4. output fits a terminal ---------------------------------------------------------------


def test_the_status_calendar_fits_80_columns(env, capsys, monkeypatch):
    warehouse, checkpoints, flags = env
    monkeypatch.chdir(warehouse.parent)
    # Two months and every state a plain status shows: done, failed, skipped, pending.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("DELETE FROM nba_raw.nbac_schedule WHERE game_date = '2022-01-02'")
    assert main([*flags, "--dates", "2022-01-02,2022-01-03"]) == 0
    capsys.readouterr()
    assert main(["status", "--start-date", "2021-12-20", "--end-date", END, *flags[:4]]) == 0
    out = capsys.readouterr().out
    assert "2021-12  " in out and "2022-01  " in out and "legend: D done" in out
    assert widest(out) <= 80, out


def test_the_dry_run_tables_fit_80_columns(env, capsys, monkeypatch):
    warehouse, checkpoints, flags = env
    monkeypatch.chdir(warehouse.parent)
    assert main([*RANGE, *flags]) == 0
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("UPDATE nba_raw.nbac_gamebook_player_stats SET points = points + 1")
    capsys.readouterr()
    assert main([*RANGE, *flags, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "rerun" in out and "stale:" in out
    assert max(len(line) for line in out.splitlines()) <= 80, out


def test_long_lists_show_10_and_the_rest_in_the_log_file_and_json(env, capsys):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("UPDATE nba_raw.nbac_gamebook_player_stats SET points = points + 1")
    capsys.readouterr()
    assert main(["status", *RANGE, *flags[:4], "--verify"]) == 0
    shown = capsys.readouterr().out
    assert "stale days (28):" in shown and "  and 18 more (--json lists all)" in shown
    assert main(["status", *RANGE, *flags[:4], "--verify", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["stale"]) == 28
    assert main([*RANGE, *flags]) == 0
    out, err = capsys.readouterr()
    for stream in (out, err):
        assert stream.count(": gamebook ") == LIST_LIMIT, stream
        assert "and 18 more (all in the log file)" in stream
    logged = max((warehouse.parent / "logs").glob("*.log")).read_text()
    assert logged.count("  stale 2022-01-") == 28 and "and 18 more" not in logged


# -- 5. flags and messages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-date", "", "--end-date", END], "--start-date is empty"),
        (["--checkpoint-dir", "", *RANGE], "--checkpoint-dir is empty"),
        (["--log-dir", " ", *RANGE], "--log-dir is empty"),
        (["--warehouse", "", *RANGE], "--warehouse is empty"),
        (["--workers", "99999999999999999999", "--parallel", *RANGE], "--workers must be 1..100"),
        (["--max-bytes-billed", "-1", *RANGE], "--max-bytes-billed must be positive (got -1)"),
    ],
)
def test_flags_a_run_cannot_honour_are_refused_in_one_line(env, capsys, tmp_path, args, message):
    warehouse = env[0]
    flags = ["--warehouse", str(warehouse)]
    if "--checkpoint-dir" not in args:
        flags += ["--checkpoint-dir", str(tmp_path / "cp")]
    if "--log-dir" not in args:
        flags += ["--log-dir", str(tmp_path / "logs")]
    assert main([*flags, *args]) == 2
    one_line_error(capsys, message)
    assert not (tmp_path / "cp").exists() and not (tmp_path / "logs").exists()


def test_max_bytes_billed_is_refused_on_bigquery_before_any_request(capsys):
    command = ["--warehouse", "bigquery", "--project", "p", "--max-bytes-billed", "0", *RANGE]
    assert main(command) == 2
    one_line_error(capsys, "--max-bytes-billed must be positive (got 0)")


def test_validate_refuses_an_end_date_in_the_future_as_a_run_does(env, capsys):
    warehouse, _, _ = env
    span = ["--start-date", "2022-01-01", "--end-date", "2999-01-01"]
    assert main(["validate", *span, "--warehouse", str(warehouse)]) == 2
    one_line_error(capsys, "--end-date 2999-01-01 is in the future")


def test_a_renamed_upstream_dataset_is_named_in_the_error(env, capsys):
    warehouse, checkpoints, flags = env
    assert features.main([*RANGE, *flags, "--analytics-dataset", "abc"]) == 2
    one_line_error(capsys, "warehouse has no abc.player_game_summary")


def test_hints_name_the_real_warehouse_and_the_interpreter_used(tmp_path, capsys):
    warehouse = empty_warehouse(tmp_path)
    assert main(["validate", *RANGE, "--warehouse", str(warehouse)]) == 2
    out = one_line_error(capsys, f"-m shared.nba.sample_data --warehouse {warehouse}`")
    assert out == ""
    assert main(["validate", *RANGE, "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "PATH" not in err and "`python " not in err and "`.venv/bin/python -m" in err


def test_allow_incomplete_says_what_was_missing(env, capsys):
    _, _, flags = env
    assert main([*flags, "--dates", "2022-01-10"]) == 0
    capsys.readouterr()
    span = ["--start-date", "2022-01-10", "--end-date", "2022-01-10"]
    assert features.main([*span, *flags, "--allow-incomplete"]) == 0
    err = capsys.readouterr().err
    assert "--allow-incomplete: 1 day(s) run although they read player_game_summary days" in err
    assert "not backfilled" in err


HOLD_THE_FILE = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('holding', flush=True); input()"
)


def test_two_jobs_on_one_warehouse_file_get_one_actionable_line(env, capsys):
    warehouse, _, flags = env
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        assert main([*RANGE, *flags]) == 2
        out = one_line_error(capsys, f"is in use by another process (PID {holder.pid})")
        assert "Could not set lock" not in out
    finally:
        holder.communicate("\n", timeout=30)


def test_seeding_keeps_duckdb_progress_bars_off_stdout(tmp_path):
    connection = writer.connect(tmp_path / "w.duckdb")
    try:
        setting = connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()
        cursor = connection.cursor()
        inherited = cursor.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    finally:
        connection.close()
    assert setting == (False,) and inherited == (False,)
