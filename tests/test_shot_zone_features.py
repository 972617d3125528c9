"""The shot-zone features on a real DuckDB file whose player_game_summary holds hand-made rows.

Every expected value below is computed by hand from the rows in ``UPSTREAM``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import given
from hypothesis import strategies as st
from sqlglot import exp

from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
)
from backfill_jobs.precompute.player_shot_zone_analysis.seasons import (
    lookback,
    season_start,
)
from shared.backfill.job import work_units
from shared.backfill.results import DayStatus
from shared.errors import ConfigError
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql
from tests.raw_fixtures import open_warehouse
from tests.summary_rows import Shots, summary_row, summary_warehouse

TARGET = "nba_precompute.player_shot_zone_analysis"
RATES = ("paint_rate_last_10", "mid_range_rate_last_10", "three_pt_rate_last_10")
FEATURES = (
    "paint_rate_feature",
    "mid_range_rate_feature",
    "three_pt_rate_feature",
    "assisted_rate_feature",
)
LEAGUE_AVERAGES = (0.30, 0.20, 0.30, 0.60)


def nov(day: int) -> date:
    return date(2021, 11, day)


OLD_SHOTS = Shots(paint=(4, 2), assisted=1)
RECENT_SHOTS = Shots(paint=(1, 1), mid=(1, 0), three=(2, 1), assisted=1)
SEASON_END = (date(2022, 4, 5), date(2022, 4, 8))  # the 2021-22 season
NEXT_SEASON = (date(2022, 10, 20), date(2022, 10, 22))  # 2022-23

UPSTREAM = [
    # 12 games, then a 13th on Nov 13 whose own 9 paint makes must not count.
    *(summary_row("twelve", nov(k), OLD_SHOTS) for k in (1, 2)),
    *(summary_row("twelve", nov(k), RECENT_SHOTS) for k in range(3, 13)),
    summary_row("twelve", nov(13), Shots(paint=(9, 9))),
    # Earlier games without play-by-play.
    *(summary_row("nozones", nov(k), None, team="NYK", opponent="CHI") for k in (1, 2, 3)),
    summary_row("nozones", nov(4), Shots(paint=(2, 1)), team="NYK", opponent="CHI"),
    # One game without zone data, one with.
    summary_row("mixed", nov(1), None, team="LAL", opponent="PHX"),
    summary_row("mixed", nov(2), Shots(paint=(1, 1), three=(1, 0), assisted=1), team="LAL"),
    summary_row("mixed", nov(3), Shots(), team="LAL", opponent="PHX"),
    # Zone data, but not one shot.
    *(summary_row("noshots", nov(k), Shots(), team="MIL", opponent="BKN") for k in (1, 2, 3)),
    # Traded from Boston to Miami between his second and third game.
    summary_row("traded", nov(1), Shots(paint=(2, 2), assisted=2), team="BOS", opponent="MIA"),
    summary_row("traded", nov(3), Shots(three=(2, 0)), team="BOS", opponent="NYK"),
    summary_row("traded", nov(5), Shots(mid=(4, 2)), team="MIA", opponent="ATL"),
    summary_row("traded", nov(7), Shots(), team="MIA", opponent="CHI"),
    # Listed without minutes, then 0:00, then played.
    summary_row("bench", nov(1), None, team="DEN", opponent="OKC", minutes=None),
    summary_row("bench", nov(2), Shots(), team="DEN", opponent="OKC", minutes=0.0),
    summary_row("bench", nov(3), Shots(three=(3, 1)), team="DEN", opponent="OKC", minutes=12.0),
    summary_row("bench", nov(4), Shots(), team="DEN", opponent="OKC", minutes=5.0),
    # The end of one season, the start of the next.
    *(summary_row("veteran", day, Shots(paint=(5, 5))) for day in SEASON_END),
    summary_row("veteran", NEXT_SEASON[0], Shots(three=(4, 2))),
    summary_row("veteran", NEXT_SEASON[1], Shots(three=(1, 1))),
]

NOVEMBER = (nov(1), nov(13))
SUMMER = (date(2022, 4, 1), date(2022, 10, 31))  # one batch across the summer

Features = dict[tuple[str, date], dict[str, Any]]


@pytest.fixture
def job(tmp_path: Path) -> Iterator[PlayerShotZoneAnalysisJob]:
    warehouse = summary_warehouse(tmp_path / "warehouse.duckdb", UPSTREAM)
    job = PlayerShotZoneAnalysisJob(warehouse)
    job.prepare()
    yield job
    warehouse.close()


@pytest.fixture
def features(job: PlayerShotZoneAnalysisJob) -> Features:
    """Every fixture day computed in two batches, one of them across a summer."""
    for first, last in (NOVEMBER, SUMMER):
        job.process(_days(first, last))
    return feature_rows(job.warehouse)


def feature_rows(warehouse: DuckDBWarehouse) -> Features:
    rows = warehouse.query(Sql("rows", f"SELECT * FROM {TARGET}"))
    return {
        (row["player_lookup"], row["analysis_date"]): {
            column: value for column, value in row.items() if column != "processed_at"
        }
        for row in rows
    }


def pick(row: dict[str, Any], *columns: str) -> tuple[Any, ...]:
    return tuple(row[column] for column in columns)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- the transform -------------------------------------------------------------------------


def test_output_columns_are_the_target_columns_in_ddl_order(
    job: PlayerShotZoneAnalysisJob,
) -> None:
    ddl = sqlglot.parse_one(job.table.ddl.text, read="bigquery")
    expected = [column.name for column in ddl.find_all(exp.ColumnDef)]
    rows = job.warehouse.query(job.transform, job.transform_params(nov(13), nov(13)))
    assert list(rows[0]) == expected


def test_one_row_per_player_with_minutes_on_the_day(features: Features) -> None:
    assert len(features) == sum(
        1 for row in UPSTREAM if row["minutes_played"] and row["minutes_played"] > 0
    )
    twelve = features[("twelve", nov(13))]
    assert pick(twelve, "game_id", "team_abbr", "opponent_team_abbr", "season_year") == (
        "20211113_MIA_BOS",
        "BOS",
        "MIA",
        2021,
    )


def test_window_takes_exactly_the_last_10_of_12_earlier_games(features: Features) -> None:
    row = features[("twelve", nov(13))]
    # Games 3-12: paint 10 of 10, mid 0 of 10, three 10 of 20; 20 makes, 10 assisted.
    assert pick(row, *RATES) == (10 / 40, 10 / 40, 20 / 40)
    assert row["assisted_rate_last_10"] == 10 / 20
    assert pick(row, "paint_pct_last_10", "mid_range_pct_last_10", "three_pt_pct_last_10") == (
        1.0,
        0.0,
        0.5,
    )
    assert pick(row, "total_shots_last_10", "games_in_sample_10", "games_with_zones_10") == (
        40,
        10,
        10,
    )
    # The last 20 are all 12: games 1-2 add 8 paint attempts.
    assert pick(row, "paint_rate_last_20", "games_in_sample_20") == (18 / 48, 12)
    assert pick(row, *FEATURES, "used_fallback") == (0.25, 0.25, 0.5, 0.5, False)


def test_early_season_until_ten_earlier_games(features: Features) -> None:
    assert pick(features[("twelve", nov(10))], "games_in_sample_10", "early_season_flag") == (
        9,
        True,
    )
    eleventh = features[("twelve", nov(11))]
    assert pick(eleventh, "games_in_sample_10", "early_season_flag") == (10, False)
    # Games 1-10: paint 2*4 + 8*1 of 2*4 + 8*4 attempts.
    assert eleventh["paint_rate_last_10"] == 16 / 40


def test_player_without_zone_data_gets_null_rates_and_league_averages(
    features: Features,
) -> None:
    row = features[("nozones", nov(4))]
    assert pick(row, "games_in_sample_10", "games_with_zones_10") == (3, 0)
    nulls = (
        *RATES,
        "assisted_rate_last_10",
        "paint_pct_last_10",
        "mid_range_pct_last_10",
        "three_pt_pct_last_10",
        "total_shots_last_10",
        "paint_rate_last_20",
    )
    assert pick(row, *nulls) == (None,) * len(nulls)
    assert pick(row, *FEATURES) == LEAGUE_AVERAGES
    assert row["used_fallback"] is True


def test_games_without_zone_data_count_in_the_sample_not_in_the_rates(
    features: Features,
) -> None:
    row = features[("mixed", nov(3))]
    assert pick(row, "games_in_sample_10", "games_with_zones_10", "total_shots_last_10") == (
        2,
        1,
        2,
    )
    assert pick(row, *RATES, "assisted_rate_last_10") == (0.5, 0.0, 0.5, 1.0)
    assert row["mid_range_pct_last_10"] is None  # no mid-range attempt: nothing to divide
    assert row["used_fallback"] is False


def test_zone_data_without_a_shot_gives_null_rates_not_zeros(features: Features) -> None:
    row = features[("noshots", nov(3))]
    assert pick(row, "games_with_zones_10", "total_shots_last_10") == (2, 0)
    assert pick(row, *RATES, "assisted_rate_last_10") == (None, None, None, None)
    assert pick(row, *FEATURES, "used_fallback") == (*LEAGUE_AVERAGES, True)


def test_the_window_never_reaches_into_the_previous_season(features: Features) -> None:
    assert features[("veteran", SEASON_END[1])]["games_in_sample_10"] == 1
    opener = features[("veteran", NEXT_SEASON[0])]
    assert pick(opener, "games_in_sample_10", "games_in_sample_20", "early_season_flag") == (
        0,
        0,
        True,
    )
    assert pick(opener, *FEATURES, "used_fallback") == (*LEAGUE_AVERAGES, True)
    second = features[("veteran", NEXT_SEASON[1])]
    assert pick(second, "games_in_sample_20", *RATES) == (1, 0.0, 0.0, 1.0)


def test_a_traded_players_games_count_on_every_team(features: Features) -> None:
    row = features[("traded", nov(7))]
    assert pick(row, "team_abbr", "games_in_sample_10") == ("MIA", 3)
    # BOS: paint 2 of 2, three 0 of 2; MIA: mid 2 of 4. Makes 4, assisted 2.
    assert pick(row, *RATES, "assisted_rate_last_10") == (2 / 8, 4 / 8, 2 / 8, 2 / 4)


def test_the_days_own_game_and_later_games_are_never_in_its_window(features: Features) -> None:
    # Nov 13's own 9 paint makes are left out (see the last-10 test); Nov 1 opened a batch that
    # read every later game of November, yet its window is empty.
    assert features[("twelve", nov(1))]["games_in_sample_20"] == 0
    for (player, day), row in features.items():
        earlier = [
            r
            for r in UPSTREAM
            if r["player_lookup"] == player
            and r["minutes_played"]
            and r["season_year"] == row["season_year"]
            and r["game_date"] < day
        ]
        assert row["games_in_sample_20"] == min(20, len(earlier)), (player, day)


def test_rows_without_minutes_are_neither_feature_rows_nor_window_games(
    features: Features,
) -> None:
    assert ("bench", nov(1)) not in features  # minutes NULL
    assert ("bench", nov(2)) not in features  # 0:00
    row = features[("bench", nov(4))]
    assert pick(row, "games_in_sample_10", "three_pt_rate_last_10", "three_pt_pct_last_10") == (
        1,
        1.0,
        1 / 3,
    )


def test_one_day_at_a_time_equals_batches(
    job: PlayerShotZoneAnalysisJob, features: Features, tmp_path: Path
) -> None:
    single = summary_warehouse(tmp_path / "single.duckdb", UPSTREAM)
    single_job = PlayerShotZoneAnalysisJob(single)
    single_job.prepare()
    for first, last in (NOVEMBER, SUMMER):
        for day in single_job.day_counts(first, last):
            single_job.process([day])
    assert feature_rows(single) == features
    single.close()


# --- the job -------------------------------------------------------------------------------


def test_a_batch_reads_upstream_from_its_first_days_season_start(
    job: PlayerShotZoneAnalysisJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, date]] = []
    original = job.warehouse.replace_partitions

    def spy(
        table: Any,
        select: Sql,
        params: dict[str, date],
        days: list[date],
        guard: Any = None,
        **options: Any,
    ) -> Any:
        seen.append(dict(params))
        return original(table, select, params, days, guard, **options)

    monkeypatch.setattr(job.warehouse, "replace_partitions", spy)
    job.process(_days(nov(3), nov(9)))
    assert seen == [
        {
            "lookback_start": date(2021, 8, 1),
            "start_date": nov(3),
            "end_date": nov(9),
            "transform_version": job.version,
        }
    ]


def test_work_units_are_player_games_per_day(job: PlayerShotZoneAnalysisJob) -> None:
    units = work_units(job.day_counts(nov(1), nov(14)))
    # Nov 1: twelve, nozones, mixed, noshots, traded (bench has no minutes).
    assert (units[nov(1)], units[nov(2)], units[nov(13)]) == (5, 4, 1)
    assert nov(14) not in units


def test_process_reports_rows_player_games_and_coverage(job: PlayerShotZoneAnalysisJob) -> None:
    results = {r.day: r for r in job.process(_days(nov(1), nov(4)))}
    assert all(r.status is DayStatus.SUCCESS for r in results.values())
    # Nov 4: twelve, nozones and bench played; nozones has no zone data in his window.
    assert (results[nov(4)].rows, results[nov(4)].units) == (3, 3)
    assert results[nov(4)].coverage == pytest.approx(2 / 3)


def test_process_is_idempotent(job: PlayerShotZoneAnalysisJob) -> None:
    job.process(_days(*NOVEMBER))
    first = feature_rows(job.warehouse)
    job.process(_days(*NOVEMBER))
    assert feature_rows(job.warehouse) == first


def test_day_without_player_games_is_held_then_cleared_once_accepted(
    job: PlayerShotZoneAnalysisJob,
) -> None:
    stale = Sql(
        "stale",
        f"INSERT INTO {TARGET} (player_lookup, game_id, analysis_date) "
        "VALUES ('ghost', 'g', @start_date)",
    )
    job.warehouse.execute(stale, {"start_date": nov(20)})
    assert work_units(job.day_counts(nov(20), nov(20))) == {nov(20): 0}
    (held,) = job.process([nov(20)])
    assert held.status is DayStatus.HELD and held.error is not None
    assert held.error.startswith("would drop 1 player-day(s) (ghost)")
    job.accept_shrinks([nov(20)])
    (result,) = job.process([nov(20)])
    assert (result.status, result.rows) == (DayStatus.SKIPPED, 0)
    assert feature_rows(job.warehouse) == {}


def test_process_rejects_non_consecutive_days(job: PlayerShotZoneAnalysisJob) -> None:
    with pytest.raises(ValueError, match="consecutive"):
        job.process([nov(1), nov(3)])


def test_prepare_names_the_missing_upstream_and_how_to_build_it(tmp_path: Path) -> None:
    warehouse = open_warehouse(tmp_path / "empty.duckdb")
    job = PlayerShotZoneAnalysisJob(warehouse)
    for step in (job.prepare, lambda: job.day_counts(nov(1), nov(2))):
        with pytest.raises(ConfigError, match=r"no nba_analytics\.player_game_summary; build"):
            step()
    warehouse.close()


# --- the season rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2022, 1, 10), date(2021, 8, 1)),
        (date(2021, 10, 19), date(2021, 8, 1)),  # opening night
        (date(2022, 6, 16), date(2021, 8, 1)),  # the Finals
        (date(2022, 8, 1), date(2022, 8, 1)),
        (date(2021, 7, 20), date(2020, 12, 1)),  # 2020-21 Finals, Game 6
        (date(2020, 10, 11), date(2019, 8, 1)),  # 2019-20 Finals in the bubble
        (date(2020, 12, 22), date(2020, 12, 1)),  # 2020-21 opener
    ],
)
def test_season_start(day: date, start: date) -> None:
    assert season_start(day) == start
    assert lookback(day) == (start, day)


@given(st.dates(date(2015, 1, 1), date(2030, 12, 31)), st.integers(0, 400))
def test_seasons_are_contiguous_and_ordered(day: date, offset: int) -> None:
    later = day + timedelta(days=offset)
    start = season_start(day)
    assert start <= day and season_start(start) == start
    assert season_start(later) >= start
    # A later day of the same season shares its start; one of another season starts after day.
    assert season_start(later) == start or season_start(later) > day
