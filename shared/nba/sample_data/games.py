"""One season's raw tables, restricted to a date range, as Arrow tables with the DDL's columns.

A season is always generated whole from (seed, season) and only then cut to the
requested days, so a day's rows never depend on the range asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.nba.sample_data.availability import REASONS, STATUS_NAMES, Lineups, Status, lineups
from shared.nba.sample_data.calendar import season_calendar
from shared.nba.sample_data.events import (
    EVENT_TYPES,
    ROLES,
    SHOT_TYPES,
    SUBTYPES,
    Box,
    Events,
    simulate,
)
from shared.nba.sample_data.league import ROSTER_SIZE, TEAMS
from shared.nba.sample_data.players import PlayerPool, player_pool, season_rosters
from shared.nba.sample_data.sampling import Stream, stream
from shared.nba.sample_data.schedule import GameKind, Schedule, season_schedule

FINAL = 3  # nbac_schedule.game_status: 1 scheduled, 2 live, 3 final
# 3-5% of games have no play-by-play in production; of those with it, a few come from the
# NBA.com fallback feed instead of BigDataBall.
PLAY_BY_PLAY_MISSING_RATE = 0.04
FALLBACK_RATE = 0.03
BIGDATABALL = "bigdataball"
NBACOM_FALLBACK = "nbacom_fallback"
# From the 2024-25 season BigDataBall prefixes lookups with the player id ("1630552jalenjohnson").
PREFIXED_LOOKUPS_FROM = date(2024, 10, 1)
# Gamebooks write "7:03" in some games and "07:03" in others.
_UNPADDED_MINUTES_RATE = 0.3
# Players without minutes: minutes NULL, '' or '-' (half NULL, a quarter each of the others).
_NO_MINUTES = (None, "", "-")
_NO_MINUTES_SHARES = (0.5, 0.25, 0.25)
_BOX_COLUMNS = (
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


@dataclass(frozen=True)
class SeasonTables:
    """Rows of the three raw tables; ``gamebook`` carries a ``row_order`` column for loading."""

    schedule: pa.Table
    gamebook: pa.Table
    play_by_play: pa.Table


@dataclass(frozen=True)
class _Games:
    """Per-game columns shared by the three tables (whole season, season order)."""

    game_id: pa.Array
    game_date: pa.Array
    home: pa.Array
    away: pa.Array


def _game_columns(schedule: Schedule) -> _Games:
    teams = np.array(TEAMS, dtype=object)
    day = schedule.game_date.astype("datetime64[D]")
    ids = [
        f"{d.astype(object):%Y%m%d}_{a}_{h}"
        for d, a, h in zip(day, teams[schedule.away], teams[schedule.home], strict=True)
    ]
    return _Games(
        game_id=pa.array(ids, pa.string()),
        game_date=pa.array(day, pa.date32()),
        home=pa.array(teams[schedule.home], pa.string()),
        away=pa.array(teams[schedule.away], pa.string()),
    )


def _nullable(values: np.ndarray, null: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(values, kind, mask=null)


def _labels(labels: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Strings of codes into ``labels``; -1 is NULL."""
    return pa.array(labels, pa.string()).take(pa.array(codes, pa.int64(), mask=codes < 0))


def _schedule_table(schedule: Schedule, games: _Games, box: Box, keep: np.ndarray) -> pa.Table:
    points = box.points.sum(axis=1).reshape(-1, 2)
    index = pa.array(np.flatnonzero(keep))
    return pa.table(
        {
            "game_id": games.game_id.take(index),
            "game_date": games.game_date.take(index),
            "season_year": pa.array(np.full(keep.sum(), schedule.season_year), pa.int64()),
            "game_status": pa.array(np.full(keep.sum(), FINAL), pa.int64()),
            "home_team_tricode": games.home.take(index),
            "away_team_tricode": games.away.take(index),
            "home_team_score": pa.array(points[keep, 1], pa.int64()),
            "away_team_score": pa.array(points[keep, 0], pa.int64()),
            "is_regular_season": pa.array(schedule.kind[keep] == GameKind.REGULAR),
            "is_playoffs": pa.array(schedule.kind[keep] == GameKind.PLAYOFFS),
        }
    )


def _minutes_text(rng: np.random.Generator, lineup: Lineups, unpadded: np.ndarray) -> np.ndarray:
    """The gamebook's minutes strings: "MM:SS", "M:SS", whole "36", or NULL / '' / '-'."""
    text = np.empty(lineup.seconds.shape, dtype=object)
    missing = rng.choice(len(_NO_MINUTES), size=lineup.seconds.shape, p=_NO_MINUTES_SHARES)
    minutes, seconds = np.divmod(lineup.seconds, 60)
    short = np.broadcast_to(np.repeat(unpadded, 2)[:, None], lineup.seconds.shape)
    for index in zip(*np.nonzero(lineup.status != Status.ACTIVE), strict=True):
        text[index] = _NO_MINUTES[missing[index]]
    for index in zip(*np.nonzero(lineup.status == Status.ACTIVE), strict=True):
        m, s = minutes[index], seconds[index]
        if lineup.whole_minute[index]:
            text[index] = str(m)
        elif short[index]:
            text[index] = f"{m}:{s:02d}"
        else:
            text[index] = f"{m:02d}:{s:02d}"
    return text


def _gamebook_table(
    schedule: Schedule,
    games: _Games,
    pool: PlayerPool,
    lineup: Lineups,
    box: Box,
    minutes: np.ndarray,
    keep: np.ndarray,
) -> pa.Table:
    """Listed players of the kept games; per team the players with minutes first (most
    minutes first), then DNP, then inactive. DNP and inactive rows have NULL stats."""
    status = lineup.status
    active = status == Status.ACTIVE
    not_playing = 100_000 * status.astype(np.int64) + np.arange(ROSTER_SIZE)
    key = np.where(active, -lineup.seconds, not_playing)
    slot = np.argsort(key, axis=1, kind="stable")
    team_game = np.repeat(np.arange(len(status)), ROSTER_SIZE)
    flat = team_game * ROSTER_SIZE + slot.ravel()
    flat = flat[(status.ravel()[flat] != Status.UNLISTED) & keep[team_game // 2]]
    game = pa.array(flat // ROSTER_SIZE // 2)
    player = lineup.player.ravel()[flat]
    played = active.ravel()[flat]
    reason = lineup.reason.ravel()[flat]
    columns = {
        "row_order": pa.array(np.arange(len(flat)), pa.int64()),
        "game_id": games.game_id.take(game),
        "game_date": games.game_date.take(game),
        "season_year": pa.array(np.full(len(flat), schedule.season_year), pa.int64()),
        "home_team_abbr": games.home.take(game),
        "away_team_abbr": games.away.take(game),
        "player_name": pa.array(pool.name[player], pa.string()),
        "player_lookup": pa.array(pool.lookup[player], pa.string()),
        "team_abbr": pa.array(np.array(TEAMS, dtype=object)[lineup.team[flat // ROSTER_SIZE]]),
        "player_status": _labels(STATUS_NAMES, status.ravel()[flat].astype(np.int64)),
        "dnp_reason": _labels(REASONS, reason.astype(np.int64)),
        "minutes": pa.array(minutes.ravel()[flat], pa.string()),
    }
    for name in _BOX_COLUMNS:
        columns[name] = _nullable(getattr(box, name).ravel()[flat], ~played, pa.int64())
    columns["total_rebounds"] = pc.add(columns["offensive_rebounds"], columns["defensive_rebounds"])
    return pa.table(columns)


def _play_by_play_table(
    schedule: Schedule,
    games: _Games,
    pool: PlayerPool,
    lineup: Lineups,
    events: Events,
    fallback: np.ndarray,
    keep: np.ndarray,
) -> pa.Table:
    """Events of the kept games; lookups carry the id prefix in BigDataBall games from 2024-10."""
    events = events.take(np.flatnonzero(keep[events.game]))
    game = pa.array(events.game)
    prefixed = ~fallback & (schedule.game_date >= np.datetime64(PREFIXED_LOOKUPS_FROM))
    names = pa.array(pool.name, pa.string())
    lookups = pa.array(pool.lookup, pa.string())
    id_lookups = pa.array(
        [f"{pid}{lookup}" for pid, lookup in zip(pool.player_id, pool.lookup, strict=True)]
    )
    teams = pa.array(TEAMS, pa.string())

    def player(flat: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
        missing = flat < 0
        who = pa.array(lineup.player.ravel()[np.maximum(flat, 0)], pa.int64(), mask=missing)
        lookup = pc.if_else(
            pa.array(prefixed[events.game]), id_lookups.take(who), lookups.take(who)
        )
        team = lineup.team[np.maximum(flat, 0) // ROSTER_SIZE]
        return names.take(who), lookup, teams.take(pa.array(team, pa.int64(), mask=missing))

    clock = np.divmod(events.clock, 60)
    padded = [pc.utf8_lpad(pc.cast(pa.array(part), pa.string()), 2, "0") for part in clock]
    name_1, lookup_1, team_1 = player(events.player_1)
    name_2, lookup_2, _ = player(events.player_2)
    source = np.where(fallback, NBACOM_FALLBACK, BIGDATABALL).astype(object)
    return pa.table(
        {
            "game_id": games.game_id.take(game),
            "game_date": games.game_date.take(game),
            "season_year": pa.array(np.full(len(events.game), schedule.season_year), pa.int64()),
            "home_team_abbr": games.home.take(game),
            "away_team_abbr": games.away.take(game),
            "event_id": pc.binary_join_element_wise(
                games.game_id.take(game), pc.cast(pa.array(events.play_id), pa.string()), "_"
            ),
            "event_sequence": pa.array(events.sequence, pa.int64()),
            "period": pa.array(events.period, pa.int64()),
            "game_clock": pc.binary_join_element_wise(*padded, ":"),
            "event_type": _labels(EVENT_TYPES, events.event_type),
            "event_subtype": _labels(SUBTYPES, events.subtype),
            "player_1_name": name_1,
            "player_1_lookup": lookup_1,
            "player_1_team_abbr": team_1,
            "player_2_name": name_2,
            "player_2_lookup": lookup_2,
            "player_2_role": _labels(ROLES, events.role),
            "shot_made": _nullable(events.made == 1, events.made < 0, pa.bool_()),
            "shot_type": _labels(SHOT_TYPES, events.shot_type),
            "shot_distance": _nullable(events.distance, np.isnan(events.distance), pa.float64()),
            "points_scored": _nullable(events.points, events.points < 0, pa.int64()),
            "original_x": _nullable(events.x, np.isnan(events.x), pa.float64()),
            "original_y": _nullable(events.y, np.isnan(events.y), pa.float64()),
            "data_source": pa.array(source[events.game], pa.string()),
        }
    )


def season_tables(seed: int, season: int, start: date, end: date) -> SeasonTables:
    """The raw rows of ``season`` whose game_date lies in [start, end]."""
    schedule = season_schedule(seed, season)
    pool = player_pool(seed)
    lineup = lineups(
        stream(seed, season, Stream.AVAILABILITY),
        schedule,
        season_rosters(seed, season),
        season_calendar(season),
    )
    box, events = simulate(
        stream(seed, season, Stream.PLAY),
        lineup.seconds,
        pool.traits.take(lineup.player),
        schedule.home_wins,
        schedule.overtimes,
    )
    sources = stream(seed, season, Stream.SOURCES)
    n_games = len(schedule)
    has_play_by_play = sources.random(n_games) >= PLAY_BY_PLAY_MISSING_RATE
    fallback = sources.random(n_games) < FALLBACK_RATE
    unpadded = sources.random(n_games) < _UNPADDED_MINUTES_RATE
    minutes = _minutes_text(sources, lineup, unpadded)

    day = schedule.game_date
    keep = (day >= np.datetime64(start)) & (day <= np.datetime64(end))
    games = _game_columns(schedule)
    return SeasonTables(
        schedule=_schedule_table(schedule, games, box, keep),
        gamebook=_gamebook_table(schedule, games, pool, lineup, box, minutes, keep),
        play_by_play=_play_by_play_table(
            schedule, games, pool, lineup, events, fallback, keep & has_play_by_play
        ),
    )
