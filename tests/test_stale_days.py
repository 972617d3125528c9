"""Late data as a user meets it: every written day knows its inputs, a change makes exactly the
affected days stale (with the reason), ``--stale`` reruns just those, and status tells the truth
across checkpoints and, with ``--verify``, against the warehouse."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.analytics.player_game_summary.processor import TARGET
from shared.errors import WarehouseError
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.cli_helpers import checkpoint_days, start_backfill, table_rows, wait_for
from tests.conftest import RANGE

DAY = "2022-01-12"
OTHER = "2022-01-20"


def sql(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse)) as connection:
        for statement in statements:
            connection.execute(statement)


def verify(capsys, flags: list[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["status", *RANGE, *flags[:4], "--verify", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def recorded(checkpoints: Path) -> dict[str, str]:
    return {day: record["finished_at"] for day, record in checkpoint_days(checkpoints).items()}


@pytest.fixture
def backfilled(env, capsys):
    """The four weeks backfilled once, every day recorded with its fingerprints."""
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    capsys.readouterr()
    return warehouse, checkpoints, flags


def test_unchanged_inputs_give_no_stale_day(backfilled, capsys):
    _, checkpoints, flags = backfilled
    status = verify(capsys, flags)
    assert status["stale"] == {} and status["counts"]["done"] + status["counts"]["skipped"] == 28
    before = recorded(checkpoints)
    assert main([*RANGE, *flags]) == 0
    assert "Days: 0 to run (0 stale), 0 without games, 28 already done" in capsys.readouterr().err
    assert recorded(checkpoints) == before


PBP = "nba_raw.bigdataball_play_by_play"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            f"UPDATE nba_raw.nbac_schedule SET game_status = 2 WHERE game_id = "
            f"(SELECT MIN(game_id) FROM nba_raw.nbac_schedule WHERE game_date = '{DAY}')",
            "schedule 8 -> 7 final games",
        ),
        (
            f"UPDATE nba_raw.nbac_schedule SET home_team_score = home_team_score + 1 "
            f"WHERE game_date = '{DAY}'",
            "schedule changed (8 final games)",
        ),
        (
            f"UPDATE nba_raw.nbac_gamebook_player_stats SET points = points + 1 "
            f"WHERE game_date = '{DAY}' AND player_lookup = (SELECT MIN(player_lookup) FROM "
            f"nba_raw.nbac_gamebook_player_stats WHERE game_date = '{DAY}' AND points > 0)",
            "gamebook changed (259 rows)",
        ),
        (
            f"DELETE FROM {PBP} WHERE game_date = '{DAY}' AND event_type = 'rebound'",
            "play-by-play 3,094 -> ",
        ),
    ],
    ids=["game-no-longer-final", "score-corrected", "box-score-corrected", "events-removed"],
)
def test_a_change_in_each_source_makes_exactly_its_day_stale(backfilled, capsys, change, reason):
    warehouse, _, flags = backfilled
    sql(warehouse, change)
    stale = verify(capsys, flags)["stale"]
    assert list(stale) == [DAY]
    [why] = stale[DAY]
    assert why.startswith(reason), why


def test_rows_deleted_from_the_target_are_found(backfilled, capsys):
    warehouse, _, flags = backfilled
    sql(warehouse, f"DELETE FROM nba_analytics.player_game_summary WHERE game_date = '{OTHER}'")
    status = verify(capsys, flags)
    assert status["days"][OTHER] == "missing" and status["counts"]["missing"] == 1
    assert status["stale"] == {OTHER: ["rows deleted: 131 recorded, none in the table"]}
    assert main([*RANGE, *flags]) == 0
    assert verify(capsys, flags)["stale"] == {}


def test_late_play_by_play_then_stale_run_reruns_exactly_those_days(env, reference_rows, capsys):
    """The production story: two days written before their play-by-play landed."""
    warehouse, checkpoints, flags = env
    sql(
        warehouse,
        f"CREATE TABLE nba_raw.late AS SELECT * FROM {PBP} WHERE game_date IN ('{DAY}', '{OTHER}')",
        f"DELETE FROM {PBP} WHERE game_date IN ('{DAY}', '{OTHER}')",
    )
    assert main([*RANGE, *flags]) == 0
    before = recorded(checkpoints)
    sql(warehouse, f"INSERT INTO {PBP} SELECT * FROM nba_raw.late", "DROP TABLE nba_raw.late")
    capsys.readouterr()
    assert main([*RANGE, *flags[:4], "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert f"{DAY}  rerun " in plan
    assert "stale: play-by-play 0 -> 3,094 events" in " ".join(plan.split())
    assert "2 to run (2 stale)" in plan

    assert main([*RANGE, *flags, "--stale", "--parallel", "--workers", "3"]) == 0
    out = capsys.readouterr().out
    assert "Stale days rerun (2):" in out and f"{DAY}: play-by-play 0 -> 3,094 events" in out
    after = recorded(checkpoints)
    assert {day for day in after if after[day] != before[day]} == {DAY, OTHER}
    assert table_rows(warehouse) == reference_rows
    assert verify(capsys, flags)["stale"] == {}


def test_a_normal_run_reruns_stale_days_too(backfilled, capsys):
    warehouse, checkpoints, flags = backfilled
    before = recorded(checkpoints)
    sql(warehouse, f"DELETE FROM {PBP} WHERE game_date = '{OTHER}' AND event_type = 'foul'")
    assert main([*RANGE, *flags]) == 0
    after = recorded(checkpoints)
    assert {day for day in after if after[day] != before[day]} == {OTHER}


SUMMARY = "nba_analytics.player_game_summary"
# The lineage columns: those of the DDL after processed_at.
_COLUMNS = [
    c.name for c in sqlglot.parse_one(TARGET.ddl.text, read="bigquery").find_all(exp.ColumnDef)
]
LINEAGE = tuple(_COLUMNS[_COLUMNS.index("processed_at") + 1 :])


def test_a_table_from_before_lineage_gets_its_columns_and_its_rows_are_unverified(
    backfilled, capsys
):
    warehouse, checkpoints, flags = backfilled
    shutil.rmtree(checkpoints)
    # The table as the tool wrote it before lineage: no lineage columns at all.
    sql(
        warehouse,
        *(f"ALTER TABLE {SUMMARY} DROP COLUMN {c}" for c in LINEAGE),
    )
    before = table_rows(warehouse, lineage=False)
    assert main([*RANGE, *flags]) == 0
    err = capsys.readouterr().err
    assert "ADD COLUMN IF NOT EXISTS transform_version STRING" in err
    assert "hold rows written before lineage was recorded: unverified" in err
    assert table_rows(warehouse, lineage=False) == before
    status = verify(capsys, flags)
    assert status["days"][DAY] == "unverified" and status["stale"] == {}
    # Asked for, a day is rewritten and carries its lineage from then on.
    assert main([*RANGE, *flags, "--dates", DAY]) == 0
    assert verify(capsys, flags)["days"][DAY] == "done"


def test_kill_9_during_a_stale_run_then_resume_equals_a_clean_run(env, reference_rows, tmp_path):
    warehouse, checkpoints, flags = env
    sql(warehouse, f"CREATE TABLE nba_raw.late AS SELECT * FROM {PBP}", f"DELETE FROM {PBP}")
    main([*RANGE, *flags])  # every day written without zones (validation may say so)
    assert {r["status"] for r in checkpoint_days(checkpoints).values()} == {"success"}
    sql(warehouse, f"INSERT INTO {PBP} SELECT * FROM nba_raw.late", "DROP TABLE nba_raw.late")
    before = recorded(checkpoints)
    stale_run = [*RANGE, *flags, "--stale", "--parallel", "--workers", "4"]
    process = start_backfill(stale_run, tmp_path / "out.log", latency=0.2)
    wait_for(lambda: sum(recorded(checkpoints).get(d) != t for d, t in before.items()) >= 4)
    process.kill()
    process.wait(timeout=10)
    assert main(stale_run) == 0
    assert table_rows(warehouse) == reference_rows


def test_status_merges_overlapping_checkpoints_latest_outcome_wins(env, monkeypatch, capsys):
    warehouse, checkpoints, flags = env
    original = DuckDBWarehouse.replace_partitions

    def failing(self, table, select, params, days, guard=None, **options):
        if date.fromisoformat(DAY) in days:
            raise WarehouseError("simulated permanent failure")
        return original(self, table, select, params, days, guard, **options)

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", failing)
    assert main([*flags, "--start-date", "2022-01-08", "--end-date", "2022-01-20"]) == 1
    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", original)
    assert main([*flags, "--start-date", "2022-01-01", "--end-date", "2022-01-14"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "status",
                *flags[2:4],
                "--start-date",
                "2022-01-05",
                "--end-date",
                "2022-01-25",
                "--json",
            ]
        )
        == 0
    )
    status = json.loads(capsys.readouterr().out)
    assert len(status["checkpoints"]) == 2
    assert status["days"][DAY] == "done" and status["failed"] == {}
    assert status["counts"]["pending"] == 5  # 2022-01-21..25: in no checkpoint
    assert "--start-date 2022-01-05 --end-date 2022-01-25" in status["commands"]["resume"]


def written_at(warehouse: Path) -> dict[tuple, object]:
    """processed_at of each row outside the two late days."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            f"SELECT game_id, player_lookup, processed_at FROM {SUMMARY} "
            "WHERE game_date NOT IN ($day, $other)",
            {"day": DAY, "other": OTHER},
        ).fetchall()
    return {(game, player): at for game, player, at in rows}


def test_a_stale_run_in_multi_day_batches_rewrites_only_the_stale_days(env, reference_rows, capsys):
    """Batches of 7 days: the current days between the two stale ones keep their rows and
    their processed_at."""
    warehouse, checkpoints, flags = env
    weekly = [*flags[:-1], "7"]
    sql(
        warehouse,
        f"CREATE TABLE nba_raw.late AS SELECT * FROM {PBP} WHERE game_date IN ('{DAY}', '{OTHER}')",
        f"DELETE FROM {PBP} WHERE game_date IN ('{DAY}', '{OTHER}')",
    )
    assert main([*RANGE, *weekly]) == 0
    before, untouched = recorded(checkpoints), written_at(warehouse)
    sql(warehouse, f"INSERT INTO {PBP} SELECT * FROM nba_raw.late", "DROP TABLE nba_raw.late")
    assert main([*RANGE, *weekly, "--stale", "--parallel", "--workers", "2"]) == 0
    after = recorded(checkpoints)
    assert {day for day in after if after[day] != before[day]} == {DAY, OTHER}
    assert written_at(warehouse) == untouched
    assert table_rows(warehouse) == reference_rows
    assert verify(capsys, flags)["stale"] == {}
