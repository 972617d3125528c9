"""Checks a finished feature backfill: structural checks judged on any range, shares shown.

Structural: every player-game with minutes has exactly one feature row (and every feature row a
player-game), and the three zone rates of a row with zone shots add up to 1. The fallback and
early-season shares describe the data (they depend on the range and on play-by-play coverage),
so they are shown as INFO, never judged.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from backfill_jobs.checks import (
    Check,
    ValidationReport,
    int_counts,
    listing_check,
    render,
    share_check,
)
from shared.warehouse.base import Row, Warehouse
from shared.warehouse.sql import load_sql_dir

_SQL = load_sql_dir(Path(__file__).parent / "sql")

JOB = "player_shot_zone_analysis"
PLAYER_GAMES = "player-games without exactly one feature row"
RATE_SUMS = "zone rates add up to 1 (+-0.001)"


def validate(warehouse: Warehouse, start: date, end: date) -> ValidationReport:
    params = {"start_date": start, "end_date": end}

    def run(name: str) -> list[Row]:
        return warehouse.query(_SQL[name], params)

    counts = int_counts(run("validation_counts")[0])
    total = counts["total_rows"]
    checks = (
        Check("feature rows", total, "shown", None),
        listing_check(
            PLAYER_GAMES,
            run("validation_player_games"),
            "unpaired",
            lambda row: (
                f"{row['analysis_date']}/{row['game_id']}/{row['player_lookup']}: "
                f"{row['player_games']} player-games, {row['feature_rows']} feature rows"
            ),
        ),
        listing_check(
            RATE_SUMS,
            run("validation_rate_sums"),
            "bad_rows",
            lambda row: f"{row['analysis_date']}/{row['player_lookup']} sum {_sum(row)}",
        ),
        share_check("rows with zone data (last 10)", counts["rows_with_zones"], total),
        share_check("rows using the league-average fallback", counts["fallback_rows"], total),
        share_check("early-season rows (< 10 earlier games)", counts["early_season_rows"], total),
    )
    return ValidationReport(job=JOB, start=start, end=end, checks=checks)


def validate_and_render(warehouse: Warehouse, start: date, end: date) -> tuple[str, bool]:
    """The CLI's entry: the table and the verdict."""
    report = validate(warehouse, start, end)
    return render(report), report.passed


def _sum(row: Row) -> str:
    value = row["rate_sum"]
    return "NULL" if value is None else f"{value:.4f}"
