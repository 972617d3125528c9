"""Validation of a finished backfill: structural checks hold on good data and catch bad data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.analytics.player_game_summary.validation import (
    PLAN_END,
    PLAN_START,
    ValidationReport,
    render,
    validate,
    validate_and_render,
)
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql
from tests.raw_fixtures import D1, D2, D3, D4, seeded_warehouse

TARGET = "nba_analytics.player_game_summary"
MISSING_DAYS = "final-game days without rows"
DUPLICATES = "duplicate (game_id, player_lookup)"
ZONES_MATCH = "zone attempts = FGA (player-games with pbp)"
MISSING_GAMES = "final games without rows"
STRUCTURAL = (MISSING_DAYS, MISSING_GAMES, DUPLICATES)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    """The fixture days all processed."""
    warehouse = seeded_warehouse(tmp_path / "warehouse.duckdb")
    job = PlayerGameSummaryJob(warehouse)
    job.prepare()
    job.process([D1, D2, D3])
    job.process([D4])
    yield warehouse
    warehouse.close()


def test_good_fixture_passes_the_structural_checks(warehouse: DuckDBWarehouse) -> None:
    report = validate(warehouse, D1, D4, total_rows_band=None, min_game_days=1)
    assert all(report.check(name).passed for name in STRUCTURAL)
    assert report.check("total records").value == 18
    assert report.check("total records").passed is None
    assert report.check("NULL minutes").value == pytest.approx(100 * 3 / 18)
    assert report.check("rows with minutes").value == pytest.approx(100 * 15 / 18)
    assert report.check("shot-zone coverage (rows with minutes)").value == pytest.approx(
        100 * 13 / 15
    )


def test_zone_totals_match_fga_where_the_gamebook_agrees(warehouse: DuckDBWarehouse) -> None:
    assert validate(warehouse, D3, D4).check(ZONES_MATCH).passed is True
    # On D1 one player's play-by-play holds 1 of his 3 attempts: 7 of 8 match.
    on_d1 = validate(warehouse, D1, D1).check(ZONES_MATCH)
    assert on_d1.value == pytest.approx(100 * 7 / 8)
    assert on_d1.passed is False
    assert re.fullmatch(r"\S+/\w+ 1 zone vs 3 FGA", on_d1.detail), on_d1.detail


def test_total_band_defaults_to_the_full_range_band(warehouse: DuckDBWarehouse) -> None:
    total = validate(warehouse, D1, D4, min_game_days=1).check("total records")
    assert (total.expected, total.passed) == ("120,000-150,000", False)
    banded = validate(warehouse, D1, D4, total_rows_band=(10, 20), min_game_days=1)
    assert banded.check("total records").passed


def test_population_bands_are_shown_not_judged_below_30_game_days(
    warehouse: DuckDBWarehouse,
) -> None:
    """3 game days whose shares are far from the plan's bands: INFO, and the verdict holds."""
    report = validate(warehouse, D3, D4)
    judged = validate(warehouse, D3, D4, min_game_days=2)
    for name in ("NULL minutes", "rows with minutes", "shot-zone coverage (rows with minutes)"):
        check = report.check(name)
        assert check.passed is None and "2 game day(s), bands need 30" in check.detail
    assert not judged.check("NULL minutes").passed and not judged.check("rows with minutes").passed
    assert report.passed and not judged.passed


def test_duplicate_row_is_detected(warehouse: DuckDBWarehouse) -> None:
    copy = Sql(
        "copy",
        f"INSERT INTO {TARGET} SELECT * FROM {TARGET} "
        "WHERE game_date = @start_date AND player_lookup = 'jaysontatum'",
    )
    warehouse.execute(copy, {"start_date": D1})
    report = validate(warehouse, D1, D4, total_rows_band=None)
    duplicates = report.check(DUPLICATES)
    assert (duplicates.value, duplicates.passed) == (1, False)
    assert "20220110_BOS_MIA/jaysontatum x2" in duplicates.detail
    assert not report.passed


def test_missing_day_is_detected(warehouse: DuckDBWarehouse) -> None:
    drop = Sql("drop_day", f"DELETE FROM {TARGET} WHERE game_date = @start_date")
    warehouse.execute(drop, {"start_date": D3})
    missing = validate(warehouse, D1, D4, total_rows_band=None).check(MISSING_DAYS)
    assert (missing.value, missing.passed) == (1, False)
    assert missing.detail == D3.isoformat()
    # D2 has no final game, so it is never reported missing.
    assert D2.isoformat() not in missing.detail


def test_empty_range_measures_nothing_and_fails_nothing(
    warehouse: DuckDBWarehouse,
) -> None:
    report = validate(warehouse, D2, D2, total_rows_band=None)
    assert report.check("NULL minutes").value is None
    assert report.check("NULL minutes").passed is None
    assert report.check(ZONES_MATCH).passed is None and report.passed
    assert "n/a" in render(report)


def test_render_is_an_aligned_table(warehouse: DuckDBWarehouse) -> None:
    report: ValidationReport = validate(warehouse, D1, D4, total_rows_band=None)
    text = render(report)
    lines = text.splitlines()
    assert lines[0] == f"player_game_summary validation, {D1}..{D4}"
    header, *rows, summary = lines[1:]
    assert header.startswith("CHECK")
    result_column = header.index("RESULT")
    assert len(rows) == len(report.checks)
    assert all(row[result_column : result_column + 4] in ("PASS", "FAIL", "INFO") for row in rows)
    assert summary.startswith("FAIL: ")
    assert "18" in rows[0] and "INFO" in rows[0]


def test_validate_and_render_judges_the_total_only_on_the_plan_range(
    warehouse: DuckDBWarehouse,
) -> None:
    text, passed = validate_and_render(warehouse, D3, D4)
    assert passed is True  # the fixture's shares are far from the bands, but only 2 game days
    assert "not judged" in text
    text, _ = validate_and_render(warehouse, PLAN_START, PLAN_END)
    assert "120,000-150,000" in text


def test_a_final_game_without_rows_fails_although_its_day_has_rows(
    warehouse: DuckDBWarehouse,
) -> None:
    """A day that lost one of its games still has rows: only the game-level check sees it."""
    (game,) = warehouse.query(
        Sql("g", f"SELECT MIN(game_id) AS g FROM {TARGET} WHERE game_date = @d"), {"d": D3}
    )[0].values()
    days_with_games = warehouse.query(
        Sql("n", f"SELECT COUNT(DISTINCT game_id) AS n FROM {TARGET} WHERE game_date = @d"),
        {"d": D3},
    )[0]["n"]
    warehouse.execute(Sql("drop", f"DELETE FROM {TARGET} WHERE game_id = @g"), {"g": game})
    report = validate(warehouse, D1, D4, total_rows_band=None, min_game_days=1)
    if days_with_games > 1:
        assert report.check(MISSING_DAYS).passed
    missing = report.check(MISSING_GAMES)
    assert missing.passed is False and missing.value == 1
    assert D3.isoformat() in (missing.detail or "")
