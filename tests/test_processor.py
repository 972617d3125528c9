"""The per-day transform and the job, on a real DuckDB file seeded with hand-made raw rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from backfill_jobs.analytics.player_game_summary.processor import (
    DATASETS,
    GAMEBOOK,
    PlayerGameSummaryJob,
    RawAvailability,
)
from shared.backfill.job import work_units
from shared.backfill.results import DayStatus
from shared.errors import ConfigError, WarehouseError
from shared.warehouse.base import as_named
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql
from tests.raw_fixtures import (
    D1,
    D2,
    D3,
    D4,
    GAME_A,
    GAME_B,
    ZONE_COLUMNS,
    B,
    insert_rows,
    player_row,
    seed_raw,
    seeded_warehouse,
)

TARGET = "nba_analytics.player_game_summary"

Rows = dict[tuple[str, str], dict[str, Any]]


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = seeded_warehouse(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.close()


@pytest.fixture
def job(warehouse: DuckDBWarehouse) -> PlayerGameSummaryJob:
    job = PlayerGameSummaryJob(warehouse)
    job.prepare()
    return job


@pytest.fixture
def summary(job: PlayerGameSummaryJob) -> dict[str, dict[str, Any]]:
    """Every fixture day processed; rows by player_lookup (unique across the fixture)."""
    job.process([D1, D2, D3])
    job.process([D4])
    return {row["player_lookup"]: row for row in target_rows(job.warehouse).values()}


def target_rows(warehouse: DuckDBWarehouse, day: date | None = None) -> Rows:
    """Target rows keyed by (game_id, player_lookup), without the processing timestamp."""
    rows = warehouse.query(Sql("rows", f"SELECT * FROM {TARGET} ORDER BY game_id, player_lookup"))
    return {
        (row["game_id"], row["player_lookup"]): {
            column: value for column, value in row.items() if column != "processed_at"
        }
        for row in rows
        if day is None or row["game_date"] == day
    }


def pick(row: dict[str, Any], *columns: str) -> tuple[Any, ...]:
    return tuple(row[column] for column in columns)


def count_rows(warehouse: DuckDBWarehouse) -> int:
    return int(warehouse.query(Sql("count", f"SELECT COUNT(*) AS n FROM {TARGET}"))[0]["n"])


# --- the transform -------------------------------------------------------------------------


def test_output_columns_are_the_target_columns_in_ddl_order(job: PlayerGameSummaryJob) -> None:
    ddl = sqlglot.parse_one(job.table.ddl.text, read="bigquery")
    expected = [column.name for column in ddl.find_all(exp.ColumnDef)]
    rows = job.warehouse.query(job.transform, job.transform_params(D1, D1))
    assert list(rows[0]) == expected


def test_one_row_per_gamebook_player_of_final_games_only(summary: dict[str, Any]) -> None:
    assert len(summary) == 18
    assert "juliusrandle" not in summary  # his game was postponed (status 1)


@pytest.mark.parametrize(
    ("player", "minutes"),
    [
        ("jaysontatum", 45.97),  # "45:58"
        ("jaylenbrown", 36.0),  # "36"
        ("marcussmart", 36.5),  # "36.5"
        ("alhorford", 7.05),  # "7:03"
        ("lebronjames", 35.17),  # "35:10"
        ("grantwilliams", None),  # "-"
        ("danieltheis", None),  # NULL
        ("brunofernando", None),  # ""
    ],
)
def test_minutes_parsed_exactly(
    summary: dict[str, dict[str, Any]], player: str, minutes: float | None
) -> None:
    assert summary[player]["minutes_played"] == minutes


def test_unparsable_minutes_are_null_and_never_fail(job: PlayerGameSummaryJob) -> None:
    odd = {"abc": None, "1:75": None, "12:5": None, "-3": None, "0:00": 0.0, " 12:30 ": 12.5}
    insert_rows(
        job.warehouse,
        "nba_raw.nbac_gamebook_player_stats",
        [player_row(B, "PHX", f"odd{i}", "active", text) for i, text in enumerate(odd)],
    )
    job.process([D1])
    rows = target_rows(job.warehouse, D1)
    assert {text: rows[(GAME_B, f"odd{i}")]["minutes_played"] for i, text in enumerate(odd)} == odd


def test_game_without_play_by_play_has_null_zones(summary: dict[str, dict[str, Any]]) -> None:
    for player in ("lebronjames", "devinbooker"):
        row = summary[player]
        assert all(row[column] is None for column in ZONE_COLUMNS), player
        assert row["has_complete_shot_zones"] is False
        assert row["shot_zones_source"] is None


def test_player_with_minutes_but_no_shots_gets_zeros(summary: dict[str, dict[str, Any]]) -> None:
    for player in ("alhorford", "jimmybutler"):
        row = summary[player]
        assert all(row[column] == 0 for column in ZONE_COLUMNS), player
        assert row["has_complete_shot_zones"] is True


def test_players_without_minutes_get_null_zones(summary: dict[str, dict[str, Any]]) -> None:
    for player in ("grantwilliams", "danieltheis", "brunofernando"):
        row = summary[player]
        assert all(row[column] is None for column in ZONE_COLUMNS), player
        assert row["has_complete_shot_zones"] is False
        assert row["shot_zones_source"] == "bigdataball"


def test_zone_counts(summary: dict[str, dict[str, Any]]) -> None:
    tatum = summary["jaysontatum"]
    # Threes: '3pt jump shot' at 22 ft (label) and a 2PT jumper at 23.9 ft (distance).
    assert pick(tatum, "three_attempts_pbp", "three_makes_pbp") == (2, 1)
    assert pick(tatum, "paint_attempts", "paint_makes") == (2, 1)
    assert pick(tatum, "mid_range_attempts", "mid_range_makes") == (0, 0)
    smart = summary["marcussmart"]  # 10 ft is mid-range, exactly 8.0 ft is the paint
    assert pick(smart, "paint_attempts", "mid_range_attempts") == (1, 1)
    durant = summary["kevindurant"]  # '3pt jump shot' at 25 ft
    assert pick(durant, "three_attempts_pbp", "three_makes_pbp", "paint_attempts") == (1, 1, 0)
    assert durant["shot_zones_source"] == "nbacom_fallback"


def test_has_complete_shot_zones_compares_pbp_attempts_with_box_fga(
    summary: dict[str, dict[str, Any]],
) -> None:
    assert summary["jaysontatum"]["has_complete_shot_zones"] is True  # 4 shots, FGA 4
    assert summary["marcussmart"]["has_complete_shot_zones"] is True  # 2 shots, FGA 2
    assert summary["jaylenbrown"]["has_complete_shot_zones"] is False  # 1 shot, FGA 3


def test_assisted_and_unassisted_makes(summary: dict[str, dict[str, Any]]) -> None:
    makes = ("assisted_fg_makes", "unassisted_fg_makes")
    assert pick(summary["jaysontatum"], *makes) == (1, 1)
    assert pick(summary["jaylenbrown"], *makes) == (1, 0)
    assert pick(summary["bamadebayo"], *makes) == (0, 1)


def test_and1_counts_only_free_throw_one_of_one(summary: dict[str, dict[str, Any]]) -> None:
    assert summary["jaysontatum"]["and1_count"] == 1  # the '1/2' free throw is no and-1
    assert summary["jaylenbrown"]["and1_count"] == 0


def test_blocks_by_zone_are_credited_to_the_blocker(summary: dict[str, dict[str, Any]]) -> None:
    blocks = ("paint_blocks", "mid_range_blocks", "three_pt_blocks")
    assert pick(summary["bamadebayo"], *blocks) == (1, 0, 1)
    assert pick(summary["jaysontatum"], *blocks) == (0, 0, 0)  # the blocked shooter gets none


def test_prefixed_2024_lookups_join_the_gamebook(summary: dict[str, dict[str, Any]]) -> None:
    johnson = summary["jalenjohnson"]  # pbp: "1630552jalenjohnson"
    assert pick(johnson, "paint_attempts", "paint_makes") == (1, 1)
    assert pick(johnson, "mid_range_attempts", "mid_range_makes") == (1, 0)
    assert johnson["assisted_fg_makes"] == 1
    assert johnson["has_complete_shot_zones"] is True
    assert summary["lameloball"]["mid_range_blocks"] == 1  # blocker "1630163lameloball"


def test_efficiency_on_a_hand_computed_example(summary: dict[str, dict[str, Any]]) -> None:
    tatum = summary["jaysontatum"]
    # PTS 10, FGM 2, FGA 4, 3PM 1, FTA 5, TOV 2, 45:58 played.
    assert tatum["ts_pct"] == pytest.approx(10 / (2 * (4 + 0.44 * 5)))  # 0.8065
    assert tatum["efg_pct"] == pytest.approx((2 + 0.5 * 1) / 4)  # 0.625
    # BOS: minutes 45:58 + 36 + 36.5 + 30 + 20 + 7:03; FGA 4+3+2; FTA 5; TOV 2+1+1.
    team_minutes = (45 + 58 / 60) + 36 + 36.5 + 30 + 20 + (7 + 3 / 60)
    usage = 100 * ((4 + 0.44 * 5 + 2) * (team_minutes / 5)) / ((45 + 58 / 60) * (9 + 0.44 * 5 + 4))
    assert tatum["usage_rate"] == pytest.approx(usage)  # 41.20
    assert tatum["usage_rate"] == pytest.approx(41.198, abs=1e-3)


def test_efficiency_is_null_on_zero_denominators(summary: dict[str, dict[str, Any]]) -> None:
    horford = summary["alhorford"]  # played, no attempts
    assert horford["ts_pct"] is None and horford["efg_pct"] is None
    assert horford["usage_rate"] == 0.0
    dnp = summary["grantwilliams"]
    assert pick(dnp, "ts_pct", "efg_pct", "usage_rate") == (None, None, None)


def test_win_flag_from_schedule_scores(summary: dict[str, dict[str, Any]]) -> None:
    assert summary["bamadebayo"]["win_flag"] is True  # MIA 110 at home
    assert summary["jaysontatum"]["win_flag"] is False
    assert summary["lebronjames"]["win_flag"] is True  # LAL 120 away
    assert summary["devinbooker"]["win_flag"] is False


def test_starters_are_the_top_five_minutes_of_each_team_game(
    summary: dict[str, dict[str, Any]],
) -> None:
    boston = {
        player
        for player, row in summary.items()
        if pick(row, "game_id", "team_abbr", "starter_flag") == (GAME_A, "BOS", True)
    }
    assert boston == {
        "jaysontatum",
        "marcussmart",
        "jaylenbrown",
        "robertwilliams",
        "paytonpritchard",
    }
    assert summary["alhorford"]["starter_flag"] is False  # 7:03, sixth in minutes
    assert summary["grantwilliams"]["starter_flag"] is False
    assert summary["bamadebayo"]["starter_flag"] is True


def test_availability_and_lineage(summary: dict[str, dict[str, Any]]) -> None:
    dnp, inactive, active = summary["grantwilliams"], summary["danieltheis"], summary["jaysontatum"]
    assert pick(dnp, "is_active", "is_dnp", "player_status") == (False, True, "dnp")
    assert dnp["dnp_reason"] == "Coach's Decision"
    assert pick(inactive, "is_active", "is_dnp") == (False, False)
    assert pick(active, "is_active", "is_dnp", "dnp_reason") == (True, False, None)
    assert active["opponent_team_abbr"] == "MIA"
    assert active["primary_source_used"] == "nbac_gamebook"
    assert active["shot_zones_source"] == "bigdataball"


# --- the job -------------------------------------------------------------------------------


def test_work_units_are_final_games_per_day(job: PlayerGameSummaryJob) -> None:
    assert work_units(job.day_counts(D1, D4)) == {D1: 2, D3: 1, D4: 1}


def test_raw_availability_covers_every_day(job: PlayerGameSummaryJob) -> None:
    availability = job.raw_availability(D1, date(2022, 1, 13))
    assert availability[D1] == RawAvailability(
        final_games=2, unfinished_games=1, gamebook_rows=14, pbp_events=11, games_with_pbp=1
    )
    assert availability[D2] == RawAvailability(unfinished_games=1)
    assert availability[date(2022, 1, 13)] == RawAvailability()


def test_process_reports_rows_games_and_coverage(job: PlayerGameSummaryJob) -> None:
    (result,) = job.process([D1])
    assert result.status is DayStatus.SUCCESS
    assert (result.rows, result.units) == (13, 2)
    assert result.coverage == pytest.approx(8 / 10)  # game B has no play-by-play
    assert result.duration_s > 0


def test_process_is_idempotent(job: PlayerGameSummaryJob) -> None:
    job.process([D1])
    first = target_rows(job.warehouse)
    job.process([D1])
    assert count_rows(job.warehouse) == 13
    assert target_rows(job.warehouse) == first


def test_failed_replace_keeps_previous_rows(
    job: PlayerGameSummaryJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    job.process([D1])
    before = target_rows(job.warehouse)
    # Fails while inserting, after the DELETE of the day ran in the same transaction.
    failing = Sql(
        "player_game_summary",
        "SELECT 'x' AS player_lookup, 'g' AS game_id, @start_date AS game_date, "
        "ERROR('boom') AS player_full_name WHERE @end_date IS NOT NULL",
    )
    monkeypatch.setattr(job, "transform", failing)
    with pytest.raises(WarehouseError, match="boom"):
        job.process([D1])
    assert target_rows(job.warehouse) == before


def test_day_without_final_games_is_held_then_cleared_once_accepted(
    job: PlayerGameSummaryJob,
) -> None:
    stale = Sql(
        "stale",
        f"INSERT INTO {TARGET} (player_lookup, game_id, game_date) "
        "VALUES ('ghost', 'g', @start_date)",
    )
    job.warehouse.execute(stale, {"start_date": D2})
    (held,) = job.process([D2])
    assert held.status is DayStatus.HELD and count_rows(job.warehouse) == 1
    assert held.error == (
        f"would drop every game of the day (1 game, 1 rows): {GAMEBOOK} has no rows for the day"
    )
    job.accept_shrinks([D2])
    (result,) = job.process([D2])
    assert result.status is DayStatus.SKIPPED
    assert (result.rows, result.units) == (0, 0)
    assert count_rows(job.warehouse) == 0


def test_multi_day_batch_equals_single_days(job: PlayerGameSummaryJob, tmp_path: Path) -> None:
    results = job.process([D1, D2, D3])
    assert [r.status for r in results] == [DayStatus.SUCCESS, DayStatus.SKIPPED, DayStatus.SUCCESS]
    assert [r.rows for r in results] == [13, 0, 2]

    single = seeded_warehouse(tmp_path / "single.duckdb")
    single_job = PlayerGameSummaryJob(single)
    single_job.prepare()
    single_results = [r for day in (D1, D2, D3) for r in single_job.process([day])]
    assert target_rows(single) == target_rows(job.warehouse)
    assert [(r.status, r.rows, r.units, r.coverage) for r in single_results] == [
        (r.status, r.rows, r.units, r.coverage) for r in results
    ]
    single.close()


def test_process_rejects_non_consecutive_days(job: PlayerGameSummaryJob) -> None:
    with pytest.raises(ValueError, match="consecutive"):
        job.process([D1, D3])


def test_prepare_names_a_missing_raw_table(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "empty.duckdb", datasets=as_named(DATASETS))
    with pytest.raises(ConfigError, match=r"no nba_raw\.\w+; seed it with"):
        PlayerGameSummaryJob(warehouse).prepare()
    warehouse.close()


def test_prepare_creates_the_target_once(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    seed_raw(warehouse)
    job = PlayerGameSummaryJob(warehouse)
    job.prepare()
    job.process([D1])
    job.prepare()
    assert count_rows(warehouse) == 13
    warehouse.close()


def test_estimate_bytes_is_unknown_on_duckdb(job: PlayerGameSummaryJob) -> None:
    assert job.estimate_bytes(D1) is None
