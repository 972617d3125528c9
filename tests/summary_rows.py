"""Hand-made player_game_summary rows, the features job's upstream, small enough to check by hand.

Only the columns the features read are filled; a game without zone data has NULL zone columns,
as the summary writes them for a game without play-by-play.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from backfill_jobs.analytics.player_game_summary.processor import TARGET as SUMMARY
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.raw_fixtures import insert_rows, open_warehouse


@dataclass(frozen=True)
class Shots:
    """One player-game's field goals by zone: attempts and makes; ``assisted`` of the makes."""

    paint: tuple[int, int] = (0, 0)
    mid: tuple[int, int] = (0, 0)
    three: tuple[int, int] = (0, 0)
    assisted: int = 0


def summary_row(
    player: str,
    day: date,
    shots: Shots | None = Shots(),
    *,
    team: str = "BOS",
    opponent: str = "MIA",
    minutes: float | None = 30.0,
    season_year: int | None = None,
    points: int = 10,
) -> dict[str, Any]:
    """A summary row; ``shots=None`` is a game without zone data (no play-by-play)."""
    makes = sum(made for _, made in (shots.paint, shots.mid, shots.three)) if shots else None
    return {
        "player_lookup": player,
        "player_full_name": player.title(),
        "game_id": f"{day:%Y%m%d}_{opponent}_{team}",
        "game_date": day,
        "team_abbr": team,
        "opponent_team_abbr": opponent,
        "season_year": season_year if season_year is not None else _season(day),
        "points": points,
        "minutes_played": minutes,
        "paint_attempts": shots.paint[0] if shots else None,
        "paint_makes": shots.paint[1] if shots else None,
        "mid_range_attempts": shots.mid[0] if shots else None,
        "mid_range_makes": shots.mid[1] if shots else None,
        "three_attempts_pbp": shots.three[0] if shots else None,
        "three_makes_pbp": shots.three[1] if shots else None,
        "assisted_fg_makes": shots.assisted if shots else None,
        "unassisted_fg_makes": makes - shots.assisted if shots and makes is not None else None,
    }


def summary_warehouse(path: Path, rows: list[dict[str, Any]]) -> DuckDBWarehouse:
    """A warehouse whose player_game_summary holds exactly ``rows``."""
    warehouse = open_warehouse(path)
    warehouse.execute(SUMMARY.ddl)
    insert_rows(warehouse, SUMMARY.name, rows)
    return warehouse


def _season(day: date) -> int:
    """season_year as the schedule gives it: 2021 for 2021-22."""
    return day.year if day.month >= 8 else day.year - 1
