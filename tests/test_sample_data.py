"""The sample-data generator: realistic bands, box score vs play-by-play, determinism, CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.nba.sample_data import seed_warehouse
from shared.nba.sample_data.__main__ import main
from shared.nba.sample_data.calendar import (
    FIRST_SEASON,
    LAST_SEASON,
    season_calendar,
    season_of,
    thanksgiving,
)
from shared.nba.sample_data.league import TEAMS
from shared.nba.sample_data.players import player_lookup, season_rosters
from shared.nba.sample_data.sampling import choose_columns
from shared.nba.sample_data.schedule import GameKind, season_schedule

BAND_START, BAND_END = date(2022, 1, 10), date(2022, 1, 23)
SCHEDULE = "nba_raw.nbac_schedule"
GAMEBOOK = "nba_raw.nbac_gamebook_player_stats"
PBP = "nba_raw.bigdataball_play_by_play"
NO_MINUTES = "(minutes IS NULL OR minutes IN ('', '-'))"


@pytest.fixture(scope="module")
def band_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two weeks of January 2022, the shape of the production backfill's slice."""
    path = tmp_path_factory.mktemp("band") / "w.duckdb"
    seed_warehouse(path, BAND_START, BAND_END, seed=7)
    return path


@pytest.fixture(scope="module")
def band(band_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(band_path), read_only=True)
    yield connection
    connection.close()


def frame(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return connection.sql(sql).df()


def seconds_of(text: str) -> int:
    minutes, _, seconds = text.partition(":")
    return 60 * int(minutes) + int(seconds or 0)


def table_rows(path: Path, table: str, start: date, end: date) -> list[tuple]:
    """Rows of a day range in storage order (no ORDER BY: the order is part of the contents)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            f"SELECT * FROM {table} WHERE game_date BETWEEN $start AND $end",
            {"start": start, "end": end},
        ).fetchall()


# --- bands of a two-week slice -------------------------------------------------------------


def test_listed_active_and_null_minute_bands(band):
    teams = frame(
        band,
        f"""SELECT game_id, team_abbr, COUNT(*) AS listed,
                   COUNT(*) FILTER (WHERE player_status = 'active') AS active,
                   COUNT(*) FILTER (WHERE {NO_MINUTES}) AS without_minutes
            FROM {GAMEBOOK} GROUP BY ALL""",
    )
    assert teams.listed.between(13, 17).all()
    assert teams.active.between(9, 11).all()
    assert (teams.listed - teams.active == teams.without_minutes).all()
    share = teams.without_minutes.sum() / teams.listed.sum()
    assert 0.35 <= share <= 0.45


def test_minutes_strings_and_team_totals(band):
    rows = frame(band, f"SELECT game_id, team_abbr, player_status, minutes FROM {GAMEBOOK}")
    active = rows[rows.player_status == "active"]
    assert active.minutes.str.fullmatch(r"\d{1,2}(:[0-5]\d)?").all()
    assert active.minutes.str.fullmatch(r"\d{2}:\d{2}").any()
    assert active.minutes.str.fullmatch(r"\d:\d{2}").any()
    assert active.minutes.str.fullmatch(r"\d{1,2}").any()
    others = rows[rows.player_status != "active"].minutes
    assert others.isna().any() and (others == "").any() and (others == "-").any()
    assert (others.isna() | others.isin(["", "-"])).all()

    seconds = active.assign(s=active.minutes.map(seconds_of))
    totals = seconds.groupby(["game_id", "team_abbr"]).s.sum()
    overtime, rest = np.divmod(totals - 240 * 60, 25 * 60)
    assert (rest == 0).all() and (overtime >= 0).all()
    assert totals.groupby(level="game_id").nunique().eq(1).all()


def test_statuses_reasons_and_null_stats(band):
    rows = frame(band, f"SELECT * FROM {GAMEBOOK}")
    assert set(rows.player_status) == {"active", "dnp", "inactive"}
    active = rows.player_status == "active"
    assert rows.loc[active, "dnp_reason"].isna().all()
    assert rows.loc[~active, "dnp_reason"].notna().all()
    reasons = set(rows.loc[~active, "dnp_reason"])
    assert "Coach's Decision" in reasons
    assert any(r.startswith("Injury/Illness - ") for r in reasons)
    stats = ["points", "field_goals_attempted", "assists", "blocks", "plus_minus"]
    assert rows.loc[~active, stats].isna().all().all()
    assert rows.loc[active, stats].notna().all().all()


def test_box_scores_are_internally_consistent(band):
    box = frame(band, f"SELECT * FROM {GAMEBOOK} WHERE player_status = 'active'")
    twos = box.field_goals_made - box.three_pointers_made
    assert (box.points == 2 * twos + 3 * box.three_pointers_made + box.free_throws_made).all()
    assert (box.field_goals_made <= box.field_goals_attempted).all()
    assert (box.three_pointers_made <= box.three_pointers_attempted).all()
    assert (box.three_pointers_attempted <= box.field_goals_attempted).all()
    assert (box.free_throws_made <= box.free_throws_attempted).all()
    assert (box.total_rebounds == box.offensive_rebounds + box.defensive_rebounds).all()
    assert box.personal_fouls.max() <= 6

    team = box.groupby(["game_id", "team_abbr"]).sum(numeric_only=True)
    assert 82 <= team.field_goals_attempted.mean() <= 94
    assert 0.30 <= team.three_pointers_attempted.sum() / team.field_goals_attempted.sum() <= 0.40
    assert 18 <= team.free_throws_attempted.mean() <= 26
    assert 104 <= team.points.mean() <= 118


def test_schedule_scores_results_and_plus_minus(band):
    games = frame(
        band,
        f"""SELECT s.game_id, s.home_team_score, s.away_team_score, s.game_status,
                   SUM(g.points) FILTER (WHERE g.team_abbr = s.home_team_tricode) AS home_points,
                   SUM(g.points) FILTER (WHERE g.team_abbr = s.away_team_tricode) AS away_points,
                   SUM(g.plus_minus) FILTER (WHERE g.team_abbr = s.home_team_tricode) AS home_pm
            FROM {SCHEDULE} s JOIN {GAMEBOOK} g USING (game_id) GROUP BY ALL""",
    )
    assert (games.game_status == 3).all()
    assert (games.home_team_score == games.home_points).all()
    assert (games.away_team_score == games.away_points).all()
    assert (games.home_team_score != games.away_team_score).all()
    assert (games.home_pm == 5 * (games.home_team_score - games.away_team_score)).all()


def test_identifiers_teams_and_lookups(band):
    rows = frame(
        band,
        f"""SELECT DISTINCT g.game_id, g.game_date, g.home_team_abbr, g.away_team_abbr,
                   g.team_abbr, g.player_name, g.player_lookup, s.is_regular_season
            FROM {GAMEBOOK} g JOIN {SCHEDULE} s USING (game_id)""",
    )
    expected_id = (
        rows.game_date.astype(str).str.replace("-", "")
        + "_"
        + rows.away_team_abbr
        + "_"
        + rows.home_team_abbr
    )
    assert (rows.game_id == expected_id).all()
    assert set(rows.team_abbr) == set(TEAMS) and len(TEAMS) == 30
    assert (rows.player_lookup == rows.player_name.map(player_lookup)).all()
    assert rows.player_lookup.str.fullmatch(r"[a-z0-9]+").all()
    players = rows[["player_name", "player_lookup", "team_abbr"]].drop_duplicates()
    assert players.player_lookup.is_unique
    assert players.groupby("team_abbr").size().max() <= 17


def test_play_by_play_matches_the_box_score(band):
    shots = frame(
        band,
        f"""SELECT game_id, player_1_lookup AS player_lookup,
                   COUNT(*) FILTER (WHERE event_type = 'shot') AS fga,
                   COUNT(*) FILTER (WHERE event_type = 'shot' AND shot_made) AS fgm,
                   COUNT(*) FILTER (WHERE shot_type = '3PT') AS tpa,
                   COUNT(*) FILTER (WHERE event_type = 'free throw') AS fta,
                   COUNT(*) FILTER (WHERE event_type = 'free throw' AND shot_made) AS ftm,
                   COALESCE(SUM(points_scored), 0) AS pbp_points
            FROM {PBP} WHERE player_1_lookup IS NOT NULL GROUP BY ALL""",
    )
    credits = frame(
        band,
        f"""SELECT game_id, player_2_lookup AS player_lookup,
                   COUNT(*) FILTER (WHERE player_2_role = 'assist') AS ast,
                   COUNT(*) FILTER (WHERE player_2_role = 'block') AS blk,
                   COUNT(*) FILTER (WHERE player_2_role = 'steal') AS stl
            FROM {PBP} WHERE player_2_lookup IS NOT NULL GROUP BY ALL""",
    )
    box = frame(
        band,
        f"""SELECT g.* FROM {GAMEBOOK} g
            WHERE player_status = 'active'
              AND game_id IN (SELECT DISTINCT game_id FROM {PBP})""",
    )
    merged = (
        box.merge(shots, how="left", on=["game_id", "player_lookup"])
        .merge(credits, how="left", on=["game_id", "player_lookup"])
        .fillna(0)
    )
    pairs = [
        ("field_goals_attempted", "fga"),
        ("field_goals_made", "fgm"),
        ("three_pointers_attempted", "tpa"),
        ("free_throws_attempted", "fta"),
        ("free_throws_made", "ftm"),
        ("points", "pbp_points"),
        ("assists", "ast"),
        ("blocks", "blk"),
        ("steals", "stl"),
    ]
    for box_column, pbp_column in pairs:
        assert (merged[box_column] == merged[pbp_column]).all(), box_column


def test_shot_zones_assists_blocks_and_and_ones(band):
    events = frame(band, f"SELECT * FROM {PBP} ORDER BY game_id, event_sequence")
    shots = events[events.event_type == "shot"]
    three = shots.shot_type == "3PT"
    assert (shots.event_subtype.str.contains("3pt") == three).all()
    assert shots.loc[three, "shot_distance"].between(22.0, 30.0).all()
    assert (shots.loc[~three, "shot_distance"] < 23.75).all()
    assert 0.35 <= (shots.loc[~three, "shot_distance"] <= 8.0).mean() <= 0.55
    assert shots[["original_x", "original_y"]].notna().all().all()
    assert (shots.points_scored == np.where(shots.shot_made, np.where(three, 3, 2), 0)).all()

    made = shots[shots.shot_made]
    assert 0.55 <= (made.player_2_role == "assist").mean() <= 0.65
    assert (made.player_2_lookup != made.player_1_lookup).all()
    assert (made.player_2_role.isna() | (made.player_2_role == "assist")).all()
    blocked = shots[shots.player_2_role == "block"]
    assert len(blocked) > 0 and not blocked.shot_made.any()

    and_ones = events.index[events.event_subtype == "free throw 1/1"]
    before = events.loc[and_ones - 1]
    assert (before.event_type.values == "shot").all() and before.shot_made.all()
    assert (before.player_1_lookup.values == events.loc[and_ones, "player_1_lookup"].values).all()
    free_throws = events[events.event_type == "free throw"]
    assert free_throws.event_subtype.str.fullmatch(r"free throw [1-3]/[1-3]").all()


def test_play_by_play_sequence_clock_and_coverage(band):
    events = frame(
        band,
        f"SELECT game_id, event_id, event_sequence, period, game_clock, data_source "
        f"FROM {PBP} ORDER BY game_id, event_sequence",
    )
    per_game = events.groupby("game_id")
    assert 350 <= per_game.size().mean() <= 450
    numbered = per_game.event_sequence.transform(lambda s: np.arange(1, len(s) + 1))
    assert (numbered == events.event_sequence).all()
    assert events.event_id.is_unique
    assert (events.event_id.str.rsplit("_", n=1).str[0] == events.game_id).all()
    assert events.period.between(1, 7).all()
    clock = events.game_clock.map(seconds_of)
    previous = events.shift()
    same_period = (events.game_id == previous.game_id) & (events.period == previous.period)
    assert (clock[same_period] <= clock.shift()[same_period]).all()
    assert events.data_source.isin(["bigdataball", "nbacom_fallback"]).all()

    coverage = frame(
        band,
        f"""SELECT AVG(CASE WHEN game_id IN (SELECT game_id FROM {PBP}) THEN 1 ELSE 0 END) AS share
            FROM {GAMEBOOK} WHERE player_status = 'active'""",
    ).share[0]
    assert coverage > 0.90


# --- calendar and schedule -----------------------------------------------------------------


@pytest.mark.parametrize("season", range(FIRST_SEASON, LAST_SEASON + 1))
def test_season_schedule_is_realistic(season):
    calendar = season_calendar(season)
    schedule = season_schedule(7, season)
    days = pd.Series(schedule.game_date.astype("datetime64[D]").astype(object))
    regular = schedule.kind == GameKind.REGULAR
    games = np.bincount(schedule.home[regular], minlength=30) + np.bincount(
        schedule.away[regular], minlength=30
    )
    assert regular.sum() == 1230
    assert (games == 82).all() and (np.bincount(schedule.home[regular], minlength=30) == 41).all()
    slate = pd.DataFrame({"day": days, "h": schedule.home, "a": schedule.away})
    for _, teams in slate.groupby("day"):
        assert len(teams) <= 15 and len(set(teams.h) | set(teams.a)) == 2 * len(teams)
    ordinal = schedule.game_date.astype("datetime64[D]").astype(np.int64)
    back_to_backs = three_in_a_row = 0
    for team in range(30):
        plays = regular & ((schedule.home == team) | (schedule.away == team))
        gaps = np.diff(np.sort(ordinal[plays]))
        back_to_backs += (gaps == 1).sum()
        three_in_a_row += ((gaps[:-1] == 1) & (gaps[1:] == 1)).sum()
    assert 10 <= back_to_backs / 30 <= 18 and three_in_a_row <= 3

    dark = [thanksgiving(season), date(season, 12, 24)]
    dark += [calendar.all_star_break[0] + timedelta(days=i) for i in range(6)]
    assert not days.isin(dark).any()
    assert days.map(lambda d: d.month in (7, 8, 9)).sum() == 0
    assert days[regular].min() == calendar.opener
    assert days[regular].max() == calendar.regular_season_end
    assert (days == calendar.opener).sum() == 2
    assert (days == calendar.regular_season_end).sum() == 15

    play_in = days[schedule.kind == GameKind.PLAY_IN]
    assert len(play_in) == 6 and play_in.nunique() == 3
    assert (play_in.max() - play_in.min()).days == 3
    playoffs = schedule.kind == GameKind.PLAYOFFS
    assert days[playoffs].min() == calendar.playoffs_start()
    assert days[playoffs].max().month == 6 and days[playoffs].max().day >= 8
    series = pd.Series(
        list(
            zip(
                np.minimum(schedule.home, schedule.away)[playoffs],
                np.maximum(schedule.home, schedule.away)[playoffs],
                strict=True,
            )
        )
    )
    assert len(series.unique()) == 15 and series.value_counts().between(4, 7).all()


def test_default_range_has_about_three_seasons_of_games():
    start, end = date(2021, 10, 1), date(2024, 5, 1)
    games = 0
    for season in range(season_of(start), season_of(end) + 1):
        day = season_schedule(7, season).game_date
        games += int(((day >= np.datetime64(start)) & (day <= np.datetime64(end))).sum())
    # 16 rows a team-game (13-17 listed) x 2 teams gives the 120k-150k gamebook rows band.
    assert 3_800 <= games <= 4_000
    assert 120_000 <= games * 2 * 16 <= 150_000


def test_rosters_are_unique_across_the_league():
    for season in range(FIRST_SEASON, LAST_SEASON + 1):
        rosters = season_rosters(7, season)
        assert rosters.shape == (30, 17) and len(np.unique(rosters)) == rosters.size
    kept = np.intersect1d(season_rosters(7, 2022), season_rosters(7, 2023))
    assert 0.7 * 510 <= len(kept) <= 0.95 * 510


@settings(max_examples=50, deadline=None)
@given(
    weights=st.lists(st.integers(0, 50), min_size=3, max_size=17).filter(
        lambda w: sum(1 for x in w[1:] if x > 0) >= 1
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_choose_columns_never_picks_zero_weight_or_excluded(weights, seed):
    rng = np.random.default_rng(seed)
    matrix = np.tile(np.array(weights, dtype=np.int64), (200, 1))
    picked = choose_columns(rng, matrix, exclude=np.zeros(200, dtype=np.int64))
    assert (picked != 0).all() and (matrix[0, picked] > 0).all()


# --- days without games, lookup prefixes ---------------------------------------------------


def test_all_star_break_and_summer_have_no_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    summer = seed_warehouse(path, date(2022, 7, 1), date(2022, 7, 10))
    assert (summer.games, summer.gamebook_rows, summer.play_by_play_events) == (0, 0, 0)
    seed_warehouse(path, date(2022, 2, 14), date(2022, 2, 27))
    with duckdb.connect(str(path), read_only=True) as connection:
        for table in (SCHEDULE, GAMEBOOK, PBP):
            sql = f"SELECT DISTINCT game_date FROM {table}"
            days = {row[0] for row in connection.execute(sql).fetchall()}
            assert date(2022, 2, 17) in days and date(2022, 2, 24) in days
            assert not days & {date(2022, 2, 18) + timedelta(days=i) for i in range(6)}


def test_lookups_carry_the_player_id_prefix_from_october_2024(tmp_path):
    path = tmp_path / "w.duckdb"
    seed_warehouse(path, date(2024, 4, 8), date(2024, 10, 28))
    with duckdb.connect(str(path), read_only=True) as connection:
        pbp = connection.sql(
            f"SELECT game_date, data_source, player_1_lookup, player_2_lookup FROM {PBP}"
        ).df()
        gamebook = set(connection.sql(f"SELECT player_lookup FROM {GAMEBOOK}").df().player_lookup)
    late = pbp.game_date >= pd.Timestamp("2024-10-01")
    bigdataball = pbp.data_source == "bigdataball"
    assert late.any() and (~late).any()
    lookups = pd.concat([pbp.player_1_lookup, pbp.player_2_lookup], axis=1)
    prefixed = lookups.apply(lambda c: c.str.match(r"^\d{7}[a-z]")).fillna(False)
    present = lookups.notna()
    assert (prefixed | ~present)[late & bigdataball].all().all()
    assert not prefixed[~late | ~bigdataball].any().any()
    stripped = set(lookups.stack().dropna().str.replace(r"^\d+", "", regex=True))
    assert stripped <= gamebook
    assert not any(re.match(r"\d", lookup) for lookup in gamebook)
    ids = pbp.player_1_lookup[late & bigdataball].dropna()
    assert (ids.str[:7].groupby(ids.str[7:]).nunique() == 1).all()


# --- determinism, range independence, idempotence -----------------------------------------


def test_a_sub_range_seeds_exactly_the_rows_of_the_full_range(band_path, tmp_path):
    path = tmp_path / "w.duckdb"
    start, end = date(2022, 1, 12), date(2022, 1, 17)
    seed_warehouse(path, start, end, seed=7)
    for table in (SCHEDULE, GAMEBOOK, PBP):
        rows = table_rows(path, table, start, end)
        assert rows and rows == table_rows(band_path, table, start, end)

    other = tmp_path / "other.duckdb"
    seed_warehouse(other, start, end, seed=8)
    assert table_rows(other, GAMEBOOK, start, end) != table_rows(path, GAMEBOOK, start, end)


def test_reseeding_replaces_the_range_and_other_ranges_add(tmp_path):
    path = tmp_path / "w.duckdb"
    first = seed_warehouse(path, date(2023, 3, 1), date(2023, 3, 5))
    again = seed_warehouse(path, date(2023, 3, 1), date(2023, 3, 5))
    assert (first.games, first.gamebook_rows, first.play_by_play_events) == (
        again.games,
        again.gamebook_rows,
        again.play_by_play_events,
    )
    seed_warehouse(path, date(2023, 3, 6), date(2023, 3, 8))
    with duckdb.connect(str(path), read_only=True) as connection:
        games, distinct, last_day = connection.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT game_id), MAX(game_date) FROM {SCHEDULE}"
        ).fetchone()
        rows = connection.execute(
            f"SELECT COUNT(*) FROM {GAMEBOOK} WHERE game_date <= DATE '2023-03-05'"
        ).fetchone()[0]
        events, event_ids = connection.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT event_id) FROM {PBP}"
        ).fetchone()
    assert games == distinct > first.games and last_day == date(2023, 3, 8)
    assert rows == first.gamebook_rows and events == event_ids


# --- CLI -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-date", "2022-13-01"], "--start-date must be a date"),
        (["--start-date", "2022-01-10", "--end-date", "2022-01-01"], "is after end date"),
        (["--start-date", "2020-10-01", "--end-date", "2021-01-01"], "2021-22..2025-26"),
        (["--start-date", "2026-06-01", "--end-date", "2026-07-01"], "2021-22..2025-26"),
        (["--seed", "-1"], "non-negative"),
        (["--seed", "x"], "invalid int value"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    warehouse = tmp_path / "w.duckdb"
    assert main(["--warehouse", str(warehouse), *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err and not captured.out
    assert not warehouse.exists()


def test_cli_as_a_module(tmp_path):
    warehouse = str(tmp_path / "w.duckdb")
    command = [sys.executable, "-m", "shared.nba.sample_data", "--warehouse", warehouse]
    bad = subprocess.run([*command, "--end-date", "2021-09-31"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    good = subprocess.run(
        [*command, "--start-date", "2021-07-01", "--end-date", "2021-07-02"],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0 and good.stdout.count("\n") == 1
    assert "2 days" in good.stdout and "0 games" in good.stdout
