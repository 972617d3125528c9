"""The features job's validation and dry-run plan, on the hand-made upstream of the feature tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from backfill_jobs.precompute.player_shot_zone_analysis import dry_run
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
)
from backfill_jobs.precompute.player_shot_zone_analysis.validation import (
    PLAYER_GAMES,
    RATE_SUMS,
    validate,
    validate_and_render,
)
from shared.backfill.job import work_units
from shared.backfill.plan import Plan, day_reason
from shared.backfill.planning import plan_days
from shared.backfill.spec import PlannedDays
from shared.backfill.survey import Survey
from shared.warehouse.sql import Sql
from tests.summary_rows import summary_warehouse
from tests.test_shot_zone_features import TARGET, UPSTREAM, _days, nov

FIRST, LAST = nov(1), nov(13)


@pytest.fixture
def job(tmp_path: Path) -> Iterator[PlayerShotZoneAnalysisJob]:
    """November of the fixture computed."""
    warehouse = summary_warehouse(tmp_path / "warehouse.duckdb", UPSTREAM)
    job = PlayerShotZoneAnalysisJob(warehouse)
    job.prepare()
    job.process(_days(FIRST, LAST))
    yield job
    warehouse.close()


def execute(job: PlayerShotZoneAnalysisJob, text: str) -> None:
    job.warehouse.execute(Sql("tamper", text), {"start_date": nov(7)})


def test_computed_features_pass_and_shares_are_shown(job: PlayerShotZoneAnalysisJob) -> None:
    report = validate(job.warehouse, FIRST, LAST)
    assert report.passed
    assert report.check(PLAYER_GAMES).passed and report.check(RATE_SUMS).passed
    # twelve 13, nozones 4, mixed 3, noshots 3, traded 4, bench 2 (Nov 3 and 4).
    assert report.check("feature rows").value == 29
    # Fallback: the six first games, nozones' 3 later ones, noshots' 2, and mixed's second
    # (its one earlier game has no zones).
    fallback = report.check("rows using the league-average fallback")
    assert (fallback.value, fallback.passed) == (pytest.approx(100 * 12 / 29), None)
    # Only twelve's games 11-13 have 10 earlier games.
    assert report.check("early-season rows (< 10 earlier games)").value == pytest.approx(
        100 * 26 / 29
    )


def test_a_missing_and_a_duplicated_feature_row_are_caught(job: PlayerShotZoneAnalysisJob) -> None:
    execute(job, f"DELETE FROM {TARGET} WHERE analysis_date = @start_date")
    execute(
        job,
        f"INSERT INTO {TARGET} SELECT * FROM {TARGET} "
        "WHERE analysis_date = @start_date - 2 AND player_lookup = 'twelve'",
    )
    check = validate(job.warehouse, FIRST, LAST).check(PLAYER_GAMES)
    assert (check.value, check.passed) == (3, False)
    assert "2021-11-05/20211105_MIA_BOS/twelve: 1 player-games, 2 feature rows" in check.detail
    assert "2021-11-07/20211107_CHI_MIA/traded: 1 player-games, 0 feature rows" in check.detail


def test_rates_that_do_not_add_up_are_caught(job: PlayerShotZoneAnalysisJob) -> None:
    execute(
        job,
        f"UPDATE {TARGET} SET paint_rate_last_10 = paint_rate_last_10 + 0.01 "
        "WHERE analysis_date = @start_date AND player_lookup = 'twelve'",
    )
    text, passed = validate_and_render(job.warehouse, FIRST, LAST)
    assert not passed
    line = next(line for line in text.splitlines() if line.startswith(RATE_SUMS))
    assert "FAIL" in line and "2021-11-07/twelve sum 1.0100" in line
    assert text.splitlines()[0] == f"player_shot_zone_analysis validation, {FIRST}..{LAST}"


def test_dry_run_shows_each_days_player_games_and_its_seasons_earlier_ones(
    job: PlayerShotZoneAnalysisJob,
) -> None:
    days = _days(nov(12), nov(14))
    plan = plan_days(days, set(), work_units(job.day_counts(days[0], days[-1])))
    reasons = {
        nov(12): ("run", "pending"),
        nov(13): ("rerun", "failed before (2 attempts)"),
        nov(14): ("skip", "no player-games upstream"),
    }
    lines = dry_run.plan_lines(PlannedDays(job, job.warehouse, plan, reasons))
    rows = {line[:10]: line.split() for line in lines[1:-1]}
    # The player-games since the season's start that Nov 12's windows draw from.
    before_12 = sum(
        1 for r in UPSTREAM if r["minutes_played"] and FIRST <= r["game_date"] < nov(12)
    )
    # Nov 12: one summary row, one player-game.
    assert rows["2021-11-12"][1:] == ["run", "1", "1", f"{before_12}", "2021-08-01", "pending"]
    assert rows["2021-11-13"][1] == "rerun"
    assert "failed before (2 attempts)" in " ".join(" ".join(lines).split())
    assert rows["2021-11-14"][1:6] == ["skip", "0", "0", f"{before_12 + 2}", "2021-08-01"]
    assert "no player-games upstream" in " ".join(" ".join(lines).split())
    assert max(len(line) for line in lines) <= 80
    assert lines[-1] == "total: 3 days, 2 to run, 1 without player-games, 0 already done"
    # Nov 2: bench's 0:00 row is a summary row but no player-game; Nov 1 had 5 player-games.
    plan = plan_days([nov(2)], set(), work_units(job.day_counts(nov(2), nov(2))))
    reasons = {nov(2): ("run", "pending")}
    (line,) = dry_run.plan_lines(PlannedDays(job, job.warehouse, plan, reasons))[3:-1]
    assert line.split()[1:] == ["run", "5", "4", "5", "2021-08-01", "pending"]


def test_a_day_with_stale_rows_only_is_cleared_in_the_plan(job: PlayerShotZoneAnalysisJob) -> None:
    day = date(2021, 11, 20)
    job.warehouse.execute(
        Sql("stale", f"INSERT INTO {TARGET} (player_lookup, analysis_date) VALUES ('x', @d)"),
        {"d": day},
    )
    work = work_units(job.day_counts(day, day))
    plan = Plan(plan_days([day], set(), work), Survey(work, {}, {}, {}), {})
    assert day_reason(day, plan, "player-games") == ("clear", "no player-games; stale rows")
