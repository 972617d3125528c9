"""Hand-made raw rows small enough to check every output value by hand.

Days:
- ``D1`` 2022-01-10: game A BOS @ MIA (final, play-by-play from BigDataBall), game B LAL @ PHX
  (final, no play-by-play), game C NYK @ CHI (postponed, yet with a stray gamebook row).
- ``D2`` 2022-01-11: only a scheduled, never-final game (nothing to compute).
- ``D3`` 2022-01-12: game D MIL @ BKN (final, play-by-play from the NBA.com fallback).
- ``D4`` 2024-11-05: game E ATL @ CHA (final, 2024-25 BigDataBall lookups carry id prefixes).

The schedule uses NBA.com ids ("0022100601") while the gamebook and play-by-play use
"date_AWAY_HOME": the transform joins on date and teams, so it holds either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from backfill_jobs.analytics.player_game_summary.processor import DATASETS
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    DATASETS as FEATURE_DATASETS,
)
from shared.nba.schemas import GAMEBOOK, PLAY_BY_PLAY, RAW_TABLES, SCHEDULE
from shared.warehouse.base import as_named
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql

D1 = date(2022, 1, 10)
D2 = date(2022, 1, 11)
D3 = date(2022, 1, 12)
D4 = date(2024, 11, 5)

GAME_A = "20220110_BOS_MIA"
GAME_B = "20220110_LAL_PHX"
GAME_D = "20220112_MIL_BKN"
GAME_E = "20241105_ATL_CHA"

BOX_COLUMNS = (
    "points",
    "field_goals_made",
    "field_goals_attempted",
    "three_pointers_made",
    "three_pointers_attempted",
    "free_throws_made",
    "free_throws_attempted",
    "offensive_rebounds",
    "defensive_rebounds",
    "assists",
    "steals",
    "blocks",
    "turnovers",
    "personal_fouls",
    "plus_minus",
)

# The shot-zone columns of the summary, in table order.
ZONE_COLUMNS = (
    "paint_attempts",
    "paint_makes",
    "mid_range_attempts",
    "mid_range_makes",
    "three_attempts_pbp",
    "three_makes_pbp",
    "assisted_fg_makes",
    "unassisted_fg_makes",
    "and1_count",
    "paint_blocks",
    "mid_range_blocks",
    "three_pt_blocks",
)


@dataclass(frozen=True)
class Game:
    game_id: str
    game_date: date
    season_year: int
    away: str
    home: str


A = Game(GAME_A, D1, 2021, away="BOS", home="MIA")
B = Game(GAME_B, D1, 2021, away="LAL", home="PHX")
C = Game("20220110_NYK_CHI", D1, 2021, away="NYK", home="CHI")
POSTPONED = Game("20220111_DAL_UTA", D2, 2021, away="DAL", home="UTA")
D = Game(GAME_D, D3, 2021, away="MIL", home="BKN")
E = Game(GAME_E, D4, 2024, away="ATL", home="CHA")


def _schedule(
    game: Game, nba_id: str, status: int, away_score: int | None, home_score: int | None
) -> dict[str, Any]:
    return {
        "game_id": nba_id,
        "game_date": game.game_date,
        "season_year": game.season_year,
        "game_status": status,
        "home_team_tricode": game.home,
        "away_team_tricode": game.away,
        "home_team_score": home_score,
        "away_team_score": away_score,
        "is_regular_season": True,
        "is_playoffs": False,
    }


def player_row(
    game: Game,
    team: str,
    lookup: str,
    status: str,
    minutes: str | None,
    dnp_reason: str | None = None,
    **box: int,
) -> dict[str, Any]:
    """A gamebook row; box columns not given are 0 for active players, NULL for the others."""
    default = 0 if status == "active" else None
    return {
        "game_id": game.game_id,
        "game_date": game.game_date,
        "season_year": game.season_year,
        "home_team_abbr": game.home,
        "away_team_abbr": game.away,
        "player_name": lookup.title(),
        "player_lookup": lookup,
        "team_abbr": team,
        "player_status": status,
        "dnp_reason": dnp_reason,
        "minutes": minutes,
        **{column: box.get(column, default) for column in BOX_COLUMNS},
        "total_rebounds": None,
    }


def _event(
    game: Game,
    seq: int,
    event_type: str,
    subtype: str,
    shooter: str,
    team: str,
    *,
    made: bool | None = None,
    distance: float | None = None,
    player_2: str | None = None,
    role: str | None = None,
    source: str = "bigdataball",
) -> dict[str, Any]:
    shot_type = "FT" if event_type == "free throw" else ("3PT" if "3pt" in subtype else "2PT")
    return {
        "game_id": game.game_id,
        "game_date": game.game_date,
        "season_year": game.season_year,
        "home_team_abbr": game.home,
        "away_team_abbr": game.away,
        "event_id": f"{game.game_id}_{seq}",
        "event_sequence": seq,
        "period": 1,
        "game_clock": "10:00",
        "event_type": event_type,
        "event_subtype": subtype,
        "player_1_name": shooter,
        "player_1_lookup": shooter,
        "player_1_team_abbr": team,
        "player_2_name": player_2,
        "player_2_lookup": player_2,
        "player_2_role": role,
        "shot_made": made,
        "shot_type": shot_type if event_type in ("shot", "free throw") else None,
        "shot_distance": distance,
        "points_scored": None,
        "original_x": None,
        "original_y": None,
        "data_source": source,
    }


SCHEDULE_ROWS = [
    _schedule(A, "0022100601", 3, away_score=100, home_score=110),
    _schedule(B, "0022100602", 3, away_score=120, home_score=115),
    _schedule(C, "0022100603", 1, away_score=None, home_score=None),
    _schedule(POSTPONED, "0022100611", 1, away_score=None, home_score=None),
    _schedule(D, "0022100621", 3, away_score=98, home_score=100),
    _schedule(E, "0022400151", 3, away_score=110, home_score=105),
]

GAMEBOOK_ROWS = [
    # Game A, BOS: six players with minutes (horford, 7:03, is the one non-starter), a DNP
    # with '-', an inactive with NULL and one with ''.
    player_row(
        A,
        "BOS",
        "jaysontatum",
        "active",
        "45:58",
        points=10,
        field_goals_made=2,
        field_goals_attempted=4,
        three_pointers_made=1,
        three_pointers_attempted=1,
        free_throws_made=5,
        free_throws_attempted=5,
        assists=5,
        turnovers=2,
    ),
    player_row(
        A,
        "BOS",
        "jaylenbrown",
        "active",
        "36",
        points=4,
        field_goals_made=2,
        field_goals_attempted=3,
        turnovers=1,
    ),
    player_row(A, "BOS", "marcussmart", "active", "36.5", field_goals_attempted=2, turnovers=1),
    player_row(A, "BOS", "robertwilliams", "active", "30:00"),
    player_row(A, "BOS", "paytonpritchard", "active", "20:00"),
    player_row(A, "BOS", "alhorford", "active", "7:03"),
    player_row(A, "BOS", "grantwilliams", "dnp", "-", "Coach's Decision"),
    player_row(A, "BOS", "danieltheis", "inactive", None, "Injury/Illness - Knee"),
    player_row(A, "BOS", "brunofernando", "inactive", "", "G League - On Assignment"),
    # Game A, MIA.
    player_row(
        A,
        "MIA",
        "bamadebayo",
        "active",
        "38:00",
        points=2,
        field_goals_made=1,
        field_goals_attempted=1,
        blocks=2,
    ),
    player_row(A, "MIA", "jimmybutler", "active", "40:00"),
    # Game B: no play-by-play.
    player_row(
        B,
        "LAL",
        "lebronjames",
        "active",
        "35:10",
        points=30,
        field_goals_made=12,
        field_goals_attempted=20,
        three_pointers_made=3,
        three_pointers_attempted=7,
        free_throws_made=3,
        free_throws_attempted=4,
        turnovers=3,
    ),
    player_row(
        B,
        "PHX",
        "devinbooker",
        "active",
        "33:00",
        points=25,
        field_goals_made=10,
        field_goals_attempted=22,
        three_pointers_made=2,
        three_pointers_attempted=6,
        free_throws_made=3,
        free_throws_attempted=3,
    ),
    # Game C is not final: its row must not reach the target.
    player_row(C, "NYK", "juliusrandle", "active", "30:00", points=20),
    # Game D.
    player_row(
        D,
        "MIL",
        "giannisantetokounmpo",
        "active",
        "34:12",
        points=2,
        field_goals_made=1,
        field_goals_attempted=2,
    ),
    player_row(
        D,
        "BKN",
        "kevindurant",
        "active",
        "36:00",
        points=3,
        field_goals_made=1,
        field_goals_attempted=1,
        three_pointers_made=1,
        three_pointers_attempted=1,
    ),
    # Game E (2024-25): gamebook lookups are plain.
    player_row(
        E,
        "ATL",
        "jalenjohnson",
        "active",
        "32:30",
        points=2,
        field_goals_made=1,
        field_goals_attempted=2,
    ),
    player_row(E, "ATL", "traeyoung", "active", "35:00", assists=1),
    player_row(E, "CHA", "lameloball", "active", "34:00", blocks=1),
]

PLAY_BY_PLAY_ROWS = [
    # Tatum: a '3pt' subtype at 22 ft (three by label, assisted by Smart), a 2PT jumper at
    # 23.9 ft (three by distance, blocked by Adebayo), a layup and-1, a layup blocked in the
    # paint; a 'free throw 1/2' is no and-1.
    _event(
        A,
        1,
        "shot",
        "3pt jump shot",
        "jaysontatum",
        "BOS",
        made=True,
        distance=22.0,
        player_2="marcussmart",
        role="assist",
    ),
    _event(
        A,
        2,
        "shot",
        "pullup jump shot",
        "jaysontatum",
        "BOS",
        made=False,
        distance=23.9,
        player_2="bamadebayo",
        role="block",
    ),
    _event(A, 3, "shot", "driving layup", "jaysontatum", "BOS", made=True, distance=2.0),
    _event(A, 4, "free throw", "free throw 1/1", "jaysontatum", "BOS", made=True),
    _event(
        A,
        5,
        "shot",
        "layup",
        "jaysontatum",
        "BOS",
        made=False,
        distance=3.0,
        player_2="bamadebayo",
        role="block",
    ),
    _event(
        A,
        6,
        "shot",
        "jump shot",
        "jaylenbrown",
        "BOS",
        made=True,
        distance=15.0,
        player_2="jaysontatum",
        role="assist",
    ),
    _event(A, 7, "shot", "jump shot", "marcussmart", "BOS", made=False, distance=10.0),
    _event(A, 8, "shot", "floating jump shot", "marcussmart", "BOS", made=False, distance=8.0),
    _event(A, 9, "shot", "hook shot", "bamadebayo", "MIA", made=True, distance=5.0),
    _event(A, 10, "rebound", "defensive rebound", "alhorford", "BOS"),
    _event(A, 11, "free throw", "free throw 1/2", "jaysontatum", "BOS", made=True),
    # Game D.
    _event(
        D,
        1,
        "shot",
        "dunk",
        "giannisantetokounmpo",
        "MIL",
        made=True,
        distance=1.0,
        source="nbacom_fallback",
    ),
    _event(
        D,
        2,
        "shot",
        "jump shot",
        "giannisantetokounmpo",
        "MIL",
        made=False,
        distance=12.0,
        source="nbacom_fallback",
    ),
    _event(
        D,
        3,
        "shot",
        "3pt jump shot",
        "kevindurant",
        "BKN",
        made=True,
        distance=25.0,
        source="nbacom_fallback",
    ),
    # Game E: 2024-25 lookups with the numeric player-id prefix, for shooter and player_2.
    _event(
        E,
        1,
        "shot",
        "cutting layup",
        "1630552jalenjohnson",
        "ATL",
        made=True,
        distance=2.0,
        player_2="1629027traeyoung",
        role="assist",
    ),
    _event(
        E,
        2,
        "shot",
        "jump shot",
        "1630552jalenjohnson",
        "ATL",
        made=False,
        distance=12.0,
        player_2="1630163lameloball",
        role="block",
    ),
]


def seed_raw(warehouse: DuckDBWarehouse) -> None:
    """Create the raw tables and insert the fixture rows."""
    for table in RAW_TABLES:
        warehouse.execute(table.ddl)
    insert_rows(warehouse, SCHEDULE.name, SCHEDULE_ROWS)
    insert_rows(warehouse, GAMEBOOK.name, GAMEBOOK_ROWS)
    insert_rows(warehouse, PLAY_BY_PLAY.name, PLAY_BY_PLAY_ROWS)


def open_warehouse(path: Path) -> DuckDBWarehouse:
    """The DuckDB file with both jobs' datasets as schemas."""
    return DuckDBWarehouse(path, datasets=as_named((*DATASETS, *FEATURE_DATASETS)))


def seeded_warehouse(path: Path) -> DuckDBWarehouse:
    warehouse = open_warehouse(path)
    seed_raw(warehouse)
    return warehouse


def insert_rows(warehouse: DuckDBWarehouse, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows through the warehouse API, values as query parameters."""
    for row in rows:
        columns = list(row)
        text = (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('@' + column for column in columns)})"
        )
        warehouse.execute(Sql("insert_fixture", text), row)
