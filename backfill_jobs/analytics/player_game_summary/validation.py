"""Checks a finished backfill against the bands the plan expects, as a typed report.

Two kinds of check:
- Population bands (NULL-minutes share, has-data share, shot-zone coverage; total rows) come
  from the plan for its range 2021-10-01..2024-05-01. They describe a population, so they are
  judged only over at least ``POPULATION_MIN_GAME_DAYS`` game days (about a month of a
  season); below that they are shown as INFO. One day of late play-by-play legitimately
  holds 60% coverage, and a rerun of it must not fail. The total-rows band is judged only
  on the plan's own range.
- Structural checks (every final-game day written, no duplicate key, zones adding up to FGA)
  hold for any range, even one day, and are always judged; with nothing to measure
  (no player-game with play-by-play) there is nothing to contradict them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from backfill_jobs.checks import (
    Check,
    ValidationReport,
    int_counts,
    listing_check,
    no_rows,
    pct,
    render,
)
from shared.warehouse.base import Row, Warehouse
from shared.warehouse.sql import load_sql_dir

_SQL = load_sql_dir(Path(__file__).parent / "sql")

# Bands from the plan (../seed/) for its range, 2021-10-01..2024-05-01 (about three seasons).
PLAN_START = date(2021, 10, 1)
PLAN_END = date(2024, 5, 1)
DEFAULT_TOTAL_ROWS_BAND = (120_000, 150_000)
NULL_MINUTES_PCT_BAND = (35.0, 45.0)
HAS_DATA_PCT_BAND = (55.0, 65.0)
MIN_ZONE_COVERAGE_PCT = 90.0
MIN_ZONES_MATCH_FGA_PCT = 99.0
# Game days a range needs before its population shares are judged: a day or two of games (or
# of late play-by-play) can sit outside a band that the season as a whole keeps.
POPULATION_MIN_GAME_DAYS = 30


def validate(
    warehouse: Warehouse,
    start: date,
    end: date,
    *,
    total_rows_band: tuple[int, int] | None = DEFAULT_TOTAL_ROWS_BAND,
    min_game_days: int = POPULATION_MIN_GAME_DAYS,
) -> ValidationReport:
    """Run every check over [start, end].

    ``total_rows_band`` only makes sense for the default range; pass None to show the total
    without judging it. Population shares are judged from ``min_game_days`` game days on.
    """
    params = {"start_date": start, "end_date": end}

    def run(name: str) -> list[Row]:
        return warehouse.query(_SQL[name], params)

    counts = int_counts(run("validation_row_counts")[0])
    zones = int_counts(run("validation_zone_totals")[0])
    total = counts["total_rows"]
    with_minutes = counts["rows_with_minutes"]
    game_days = counts["game_days"]
    judged = game_days >= min_game_days
    population: tuple[Check, ...] = (
        _total_rows(total, total_rows_band),
        _pct_check(
            "NULL minutes",
            pct(counts["null_minutes_rows"], total),
            NULL_MINUTES_PCT_BAND,
        ),
        _pct_check("rows with minutes", pct(with_minutes, total), HAS_DATA_PCT_BAND),
        _min_pct_check(
            "shot-zone coverage (rows with minutes)",
            pct(counts["rows_with_zones"], with_minutes),
            MIN_ZONE_COVERAGE_PCT,
            strict=True,
        ),
    )
    if not judged:
        note = f"shown, not judged: {game_days} game day(s), bands need {min_game_days}"
        population = tuple(
            replace(check, passed=None, detail=check.detail or note) for check in population
        )
    checks = (
        *population,
        listing_check(
            "final-game days without rows",
            run("validation_missing_days"),
            "missing_days",
            lambda row: row["game_date"].isoformat(),
        ),
        listing_check(
            "final games without rows",
            run("validation_missing_games"),
            "missing_games",
            lambda row: f"{row['game_date'].isoformat()} {row['matchup']}",
        ),
        listing_check(
            "duplicate (game_id, player_lookup)",
            run("validation_duplicates"),
            "duplicate_keys",
            lambda row: f"{row['game_id']}/{row['player_lookup']} x{row['copies']}",
        ),
        _zones_match_fga(
            pct(zones["zones_match_fga"], zones["player_games_with_zones"]),
            lambda: run("validation_zone_mismatches"),
        ),
    )
    return ValidationReport(job="player_game_summary", start=start, end=end, checks=checks)


def validate_and_render(warehouse: Warehouse, start: date, end: date) -> tuple[str, bool]:
    """The CLI's entry: the table and the verdict; the total is judged on the plan's range only."""
    band = DEFAULT_TOTAL_ROWS_BAND if (start, end) == (PLAN_START, PLAN_END) else None
    report = validate(warehouse, start, end, total_rows_band=band)
    return render(report), report.passed


def _total_rows(total: int, band: tuple[int, int] | None) -> Check:
    if band is None:
        return Check("total records", total, "not judged for this range", None)
    low, high = band
    return Check("total records", total, f"{low:,}-{high:,}", low <= total <= high)


def _pct_check(name: str, value: float | None, band: tuple[float, float]) -> Check:
    low, high = band
    passed = value is not None and low <= value <= high
    return Check(name, value, f"{low:g}-{high:g}%", passed, unit="%", detail=no_rows(value))


def _min_pct_check(name: str, value: float | None, bound: float, *, strict: bool) -> Check:
    passed = value is not None and (value > bound if strict else value >= bound)
    expected = f"{'>' if strict else '>='} {bound:g}%"
    return Check(name, value, expected, passed, unit="%", detail=no_rows(value))


def _zones_match_fga(value: float | None, mismatches: Callable[[], list[Row]]) -> Check:
    """Zones adding up to FGA; when it fails, the first player-games that do not (queried
    then only), so the detail says where to look."""
    check = _structural_pct_check(
        "zone attempts = FGA (player-games with pbp)", value, MIN_ZONES_MATCH_FGA_PCT
    )
    if check.passed is not False:
        return check
    listed = listing_check(
        check.name,
        mismatches(),
        "mismatches",
        lambda row: (
            f"{row['game_id']}/{row['player_lookup']} "
            f"{_count(row['zone_attempts'])} zone vs {_count(row['fg_attempts'])} FGA"
        ),
    )
    return replace(check, detail=listed.detail)


def _count(value: object) -> str:
    return "NULL" if value is None else str(value)


def _structural_pct_check(name: str, value: float | None, bound: float) -> Check:
    """A share that must reach ``bound`` wherever there is something to measure."""
    if value is None:
        return Check(name, None, f">= {bound:g}%", None, unit="%", detail="nothing to measure")
    return _min_pct_check(name, value, bound, strict=False)
