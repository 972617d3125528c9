"""Checks a finished backfill against the bands the plan expects, as a typed report.

Volume bands (rows, NULL-minutes share, has-data share, coverage) come from the plan for the
default range 2021-10-01..2024-05-01; the structural checks (every final day written, no
duplicate key, zones adding up to FGA) hold for any range.
"""

from __future__ import annotations

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


def validate(
    warehouse: Warehouse,
    start: date,
    end: date,
    *,
    total_rows_band: tuple[int, int] | None = DEFAULT_TOTAL_ROWS_BAND,
) -> ValidationReport:
    """Run every check over [start, end].

    ``total_rows_band`` only makes sense for the default range; pass None to show the total
    without judging it.
    """
    params = {"start_date": start, "end_date": end}

    def run(name: str) -> list[Row]:
        return warehouse.query(_SQL[name], params)

    counts = int_counts(run("validation_row_counts")[0])
    zones = int_counts(run("validation_zone_totals")[0])
    total = counts["total_rows"]
    with_minutes = counts["rows_with_minutes"]
    checks = (
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
        listing_check(
            "final-game days without rows",
            run("validation_missing_days"),
            "missing_days",
            lambda row: row["game_date"].isoformat(),
        ),
        listing_check(
            "duplicate (game_id, player_lookup)",
            run("validation_duplicates"),
            "duplicate_keys",
            lambda row: f"{row['game_id']}/{row['player_lookup']} x{row['copies']}",
        ),
        _min_pct_check(
            "zone attempts = FGA (player-games with pbp)",
            pct(zones["zones_match_fga"], zones["player_games_with_zones"]),
            MIN_ZONES_MATCH_FGA_PCT,
            strict=False,
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
