"""The features backfill as a user runs it, after the summary backfill, on generated data."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import (
    main as summary_main,
)
from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.precompute.player_shot_zone_analysis.player_shot_zone_analysis_backfill import (
    main,
)
from shared.backfill.planning import calendar_days
from shared.errors import WarehouseError
from shared.nba.sample_data import seed_warehouse
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.cli_helpers import ROOT, checkpoint_days, start_backfill, table_rows, wait_for
from tests.raw_fixtures import open_warehouse

SCRIPT = (
    ROOT
    / "backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py"
)
FEATURES = "nba_precompute.player_shot_zone_analysis"
JOB = "player_shot_zone_analysis"
# The season opened on 2021-10-19: the first feature days read a week of history, the last
# ones five weeks. Thanksgiving (Nov 25) has no game.
SEEDED = (date(2021, 10, 15), date(2021, 11, 25))
START, END = "2021-10-25", "2021-11-25"
RANGE = ["--start-date", START, "--end-date", END]
DAYS = 32


@pytest.fixture(scope="module")
def summary_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw data from before the opener, and player_game_summary built over all of it."""
    path = tmp_path_factory.mktemp("summary") / "warehouse.duckdb"
    seed_warehouse(path, *SEEDED, seed=7)
    warehouse = open_warehouse(path)
    summary = PlayerGameSummaryJob(warehouse)
    summary.prepare()
    summary.process(calendar_days(*SEEDED))
    warehouse.close()
    return path


def with_summary(summary_built: Path, work: Path) -> list[str]:
    """A copy of the warehouse whose summary days are recorded done in ``work/cp``, as the
    summary backfill leaves them (the features refuse days whose upstream is not done)."""
    warehouse = work / "w.duckdb"
    shutil.copy(summary_built, warehouse)
    flags = ["--warehouse", str(warehouse), "--checkpoint-dir", str(work / "cp")]
    flags += ["--log-dir", str(work / "logs")]
    seeded = ["--start-date", SEEDED[0].isoformat(), "--end-date", SEEDED[1].isoformat()]
    assert summary_main([*seeded, *flags]) == 0
    return flags


@pytest.fixture(scope="module")
def reference_rows(summary_built: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """One day per statement, one worker: the oracle for every other mode."""
    work = tmp_path_factory.mktemp("reference")
    warehouse = work / "w.duckdb"
    flags = with_summary(summary_built, work)
    assert main([*RANGE, *flags, "--batch-days", "1"]) == 0
    rows = table_rows(warehouse, FEATURES)
    assert len(rows) > 3000
    return rows


@pytest.fixture
def env(summary_built: Path, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    flags = with_summary(summary_built, tmp_path)
    return tmp_path / "w.duckdb", tmp_path / "cp", flags


@pytest.mark.parametrize("batch", [["--batch-days", "7"], []], ids=["K=7", "default K"])
def test_batched_parallel_run_equals_one_day_at_a_time(env, reference_rows, capsys, batch):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags, "--parallel", "--workers", "3", *batch]) == 0
    assert table_rows(warehouse, FEATURES) == reference_rows
    days = checkpoint_days(checkpoints, JOB)
    assert len(days) == DAYS and days["2021-11-25"]["status"] == "skipped"
    out, err = capsys.readouterr()
    assert "player-games" in err and "PASS: all 2 judged checks passed" in out


def test_kill_9_during_the_features_backfill_then_resume(env, reference_rows, tmp_path):
    warehouse, checkpoints, flags = env
    batched = [*RANGE, *flags, "--batch-days", "2", "--parallel", "--workers", "2"]
    process = start_backfill(batched, tmp_path / "out.log", SCRIPT, latency=0.3)
    wait_for(lambda: len(checkpoint_days(checkpoints, JOB)) >= 6)
    process.kill()
    process.wait(timeout=10)
    assert len(checkpoint_days(checkpoints, JOB)) < DAYS
    assert main(batched) == 0
    assert table_rows(warehouse, FEATURES) == reference_rows
    assert len(checkpoint_days(checkpoints, JOB)) == DAYS


def test_rerun_skips_done_days_and_validates_the_range(env, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags]) == 0
    capsys.readouterr()
    assert main([*RANGE, *flags]) == 0
    out, err = capsys.readouterr()
    assert "0 to run" in err and out.startswith("Nothing to do: 32 day(s)")
    assert main(["status", *RANGE, "--checkpoint-dir", flags[3]]) == 0
    status = capsys.readouterr().out
    assert status.startswith(
        f"player_shot_zone_analysis {START}..{END}, 32 days:\n  31 done, 0 failed"
    )


def test_dry_run_writes_nothing_and_explains_every_day(env, capsys):
    warehouse, checkpoints, flags = env
    before = warehouse.stat().st_mtime_ns
    assert main([*RANGE, *flags, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        "earlier: player-games before it this season" in out
        and f"total: {DAYS} days, 31 to run" in out
    )
    assert "2021-11-25  skip          0        0" in out and out.count("no player-games") >= 1
    assert not list(checkpoints.glob("player_shot_zone_analysis_*"))
    assert warehouse.stat().st_mtime_ns == before


def test_without_the_summary_table_it_says_what_to_run_first(tmp_path, capsys):
    warehouse = tmp_path / "empty.duckdb"
    open_warehouse(warehouse).close()
    code = main(
        [*RANGE, "--warehouse", str(warehouse), "--checkpoint-dir", str(tmp_path / "cp")]
        + ["--log-dir", str(tmp_path / "logs")]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]  # after the log file and checkpoint lines
    assert last.startswith("error: warehouse has no nba_analytics.player_game_summary; build")
    assert "player_game_summary_analytics_backfill.py" in last


def _change_one_box_score(warehouse: Path, day: str) -> None:
    """A late correction of the raw gamebook: one player with minutes gains a point."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "UPDATE nba_raw.nbac_gamebook_player_stats SET points = points + 1 "
            "WHERE game_date = $day AND player_lookup = (SELECT MIN(player_lookup) FROM "
            "nba_raw.nbac_gamebook_player_stats WHERE game_date = $day AND minutes LIKE '%:%')",
            {"day": day},
        )


def _verified(flags: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["status", *RANGE, *flags[:4], "--verify", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_changed_summary_day_stales_exactly_the_later_feature_days_of_its_season(env, capsys):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    _change_one_box_score(warehouse, "2021-11-10")
    assert summary_main(["--dates", "2021-11-10", *flags]) == 0
    status = _verified(flags, capsys)
    later = [d.isoformat() for d in calendar_days(date(2021, 11, 10), date(2021, 11, 24))]
    assert sorted(status["stale"]) == later
    [reason] = status["stale"]["2021-11-20"]
    assert reason.startswith("player_game_summary changed (")
    before = checkpoint_days(checkpoints, JOB)
    assert main([*RANGE, *flags, "--stale", "--parallel", "--workers", "3"]) == 0
    after = checkpoint_days(checkpoints, JOB)
    rerun = {d for d in after if after[d]["finished_at"] != before[d]["finished_at"]}
    assert sorted(rerun) == later
    assert not _verified(flags, capsys)["stale"]


def test_an_identical_summary_rewrite_stales_no_feature_day(env, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags]) == 0
    assert summary_main(["--dates", "2021-11-10", *flags, "--no-resume"]) == 0
    status = _verified(flags, capsys)
    assert status["stale"] == {} and status["counts"]["done"] == 31
    capsys.readouterr()
    assert main([*RANGE, *flags]) == 0
    assert capsys.readouterr().out.startswith("Nothing to do")


def test_an_out_of_band_update_of_one_summary_row_is_found_by_the_features(env, capsys):
    warehouse, _, flags = env
    assert main([*RANGE, *flags]) == 0
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "UPDATE nba_analytics.player_game_summary SET paint_attempts = paint_attempts + 3 "
            "WHERE game_date = '2021-11-12' AND player_lookup = (SELECT MIN(player_lookup) "
            "FROM nba_analytics.player_game_summary WHERE game_date = '2021-11-12' "
            "AND paint_attempts IS NOT NULL)"
        )
    status = _verified(flags, capsys)
    later = [d.isoformat() for d in calendar_days(date(2021, 11, 12), date(2021, 11, 24))]
    assert sorted(status["stale"]) == later
    assert status["stale"]["2021-11-20"] == [
        "reads player_game_summary days that are 1 stale (2021-11-12)"
    ]
    # The run refuses to build on it until the summary is current again.
    capsys.readouterr()
    assert main([*RANGE, *flags]) == 2
    assert "1 stale (2021-11-12)" in capsys.readouterr().err


def test_days_whose_upstream_is_not_backfilled_are_refused_unless_allowed(
    summary_built, tmp_path, capsys
):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(summary_built, warehouse)  # the summary table, and no checkpoint at all
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "DELETE FROM nba_analytics.player_game_summary WHERE game_date = '2021-11-10'"
        )
    flags = ["--warehouse", str(warehouse), "--checkpoint-dir", str(tmp_path / "cp")]
    flags += ["--log-dir", str(tmp_path / "logs")]
    assert main([*RANGE, *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: 14 day(s) to run read player_game_summary days that are")
    assert "1 not backfilled (2021-11-10)" in err[-1]
    assert err[-1].endswith("or pass --allow-incomplete")
    assert not checkpoint_days(tmp_path / "cp", JOB)
    assert main([*RANGE, *flags, "--allow-incomplete"]) == 0


def test_days_whose_upstream_failed_are_refused(env, monkeypatch, capsys):
    warehouse, _, flags = env
    original = DuckDBWarehouse.replace_partitions

    def failing(self, table, select, params, days, guard=None, **options):
        if table.name.endswith("player_game_summary") and date(2021, 11, 3) in days:
            raise WarehouseError("simulated permanent failure")
        return original(self, table, select, params, days, guard, **options)

    _change_one_box_score(warehouse, "2021-11-03")
    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", failing)
    assert summary_main(["--dates", "2021-11-03", *flags]) == 1
    capsys.readouterr()
    assert main([*RANGE, *flags]) == 2
    assert "1 failed (2021-11-03)" in capsys.readouterr().err


def test_with_upstream_builds_both_tables_and_holds_days_that_read_a_failed_upstream_day(
    summary_built, reference_rows, tmp_path, monkeypatch, capsys
):
    warehouse = tmp_path / "w.duckdb"
    seed_warehouse(warehouse, *SEEDED, seed=7)  # raw tables only
    flags = ["--warehouse", str(warehouse), "--checkpoint-dir", str(tmp_path / "cp")]
    flags += ["--log-dir", str(tmp_path / "logs")]
    original = DuckDBWarehouse.replace_partitions

    def failing(self, table, select, params, days, guard=None, **options):
        if table.name.endswith("player_game_summary") and date(2021, 11, 3) in days:
            raise WarehouseError("simulated permanent failure")
        return original(self, table, select, params, days, guard, **options)

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", failing)
    assert main([*RANGE, *flags, "--with-upstream"]) == 1
    err = capsys.readouterr().err
    assert (
        "--with-upstream: bringing player_game_summary current over 2021-08-01..2021-11-25" in err
    )
    assert "read player_game_summary days that are 1 failed (2021-11-03)" in err
    written = {row[2] for row in table_rows(warehouse, FEATURES)}
    assert max(written) < date(2021, 11, 3)
    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", original)
    assert main([*RANGE, *flags, "--with-upstream"]) == 0
    assert table_rows(warehouse, FEATURES) == reference_rows


def test_feature_days_whose_summary_rows_vanished_out_of_band_are_held(env, capsys):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    with duckdb.connect(str(warehouse)) as connection:
        (player,) = connection.execute(
            "SELECT MIN(player_lookup) FROM nba_analytics.player_game_summary "
            "WHERE game_date = '2021-11-12' AND minutes_played > 0"
        ).fetchone()
        connection.execute(
            "DELETE FROM nba_analytics.player_game_summary WHERE game_date = '2021-11-12' "
            "AND player_lookup = $player",
            {"player": player},
        )
    before = table_rows(warehouse, FEATURES)
    # A new container: no journal says the summary lost a row; its remaining rows are current.
    for path in checkpoints.glob("player_game_summary_*.json"):
        path.unlink()
    capsys.readouterr()
    assert main([*RANGE, *flags]) == 1
    out = capsys.readouterr().out
    assert f"2021-11-12: would drop 1 player-day(s) ({player}): " in out
    assert "--dates 2021-11-12 --allow-shrink" in out
    held = [row for row in table_rows(warehouse, FEATURES) if str(row[2]) == "2021-11-12"]
    assert held == [row for row in before if str(row[2]) == "2021-11-12"]
    assert checkpoint_days(checkpoints, JOB)["2021-11-12"]["status"] == "held"
