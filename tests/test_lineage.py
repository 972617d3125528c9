"""Lineage in the rows: a day is current when its rows say so, whatever the checkpoints hold.

On a generated four-week warehouse through the CLI: a new container (an empty checkpoint
folder) redoes no written day, a code change stales by content, clocks change nothing, a
snapshot is what a day read, and two warehouses share one checkpoints folder.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from backfill_jobs.analytics.player_game_summary import processor
from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.precompute.player_shot_zone_analysis import processor as features
from shared.backfill.partition_job import PartitionJob
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql
from tests.cli_helpers import checkpoint_days, start_backfill, table_rows, wait_for
from tests.conftest import END, RANGE, START

SUMMARY = "nba_analytics.player_game_summary"
PBP = "nba_raw.bigdataball_play_by_play"
DAY = "2022-01-12"


def flags_for(warehouse: Path, checkpoints: Path, logs: Path) -> list[str]:
    return ["--warehouse", str(warehouse), "--checkpoint-dir", str(checkpoints)] + [
        "--log-dir",
        str(logs),
    ]


def written_at(warehouse: Path) -> dict[str, object]:
    """When each day's rows were written (their processed_at): a rewrite changes it."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            f"SELECT game_date, MAX(processed_at) FROM {SUMMARY} GROUP BY game_date"
        ).fetchall()
    return {day.isoformat(): at for day, at in rows}


def verify(capsys: pytest.CaptureFixture[str], flags: list[str]) -> dict:
    capsys.readouterr()
    assert main(["status", *RANGE, *flags[:4], "--verify", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- a new container resumes from the warehouse ----------------------------------------------


def test_container_drill_sigterm_then_sigkill_then_an_empty_folder_redoes_no_written_day(
    env, reference_rows, tmp_path, capsys
):
    warehouse, _, flags = env
    first = flags_for(warehouse, tmp_path / "A", tmp_path / "logs")
    args = [*RANGE, *first, "--parallel", "--workers", "15", "--batch-days", "1"]
    process = start_backfill(args, tmp_path / "a.log", latency=0.3)
    wait_for(lambda: len(checkpoint_days(tmp_path / "A")) >= 8)
    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    before = written_at(warehouse)
    assert before, "the first run wrote nothing before it was stopped"

    second = flags_for(warehouse, tmp_path / "B", tmp_path / "logs")
    assert main([*RANGE, *second, "--parallel", "--workers", "15"]) == 0
    after = written_at(warehouse)
    assert {day for day in before if after[day] != before[day]} == set()
    assert table_rows(warehouse) == reference_rows
    days = checkpoint_days(tmp_path / "B")
    assert len(days) == 28 and {r["status"] for r in days.values()} <= {"success", "skipped"}


def test_a_copied_warehouse_resumes_as_done(env, capsys):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    copy = warehouse.with_name("copy.duckdb")
    shutil.copy(warehouse, copy)
    capsys.readouterr()
    copied = flags_for(copy, checkpoints, warehouse.parent / "logs")
    assert main([*RANGE, *copied]) == 0
    out, err = capsys.readouterr()
    assert "0 to run" in err and "current in the warehouse recorded in this checkpoint" in err
    assert main([*RANGE, *copied]) == 0
    assert capsys.readouterr().out.startswith("Nothing to do: 28 day(s)")
    assert verify(capsys, copied)["counts"]["done"] == 28


def test_two_warehouses_share_one_checkpoints_folder(seeded, tmp_path, capsys):
    shared_folder = tmp_path / "cp"
    runs = []
    for name in ("one", "two"):
        warehouse = tmp_path / f"{name}.duckdb"
        shutil.copy(seeded, warehouse)
        runs.append(flags_for(warehouse, shared_folder, tmp_path / "logs"))
    assert main([*RANGE, *runs[0]]) == 0
    assert main(["--dates", DAY, *runs[1]]) == 0
    assert main([*RANGE, *runs[1]]) == 0
    assert main([*RANGE, *runs[0]]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Nothing to do")
    assert len(list(shared_folder.glob("*.json"))) == 3
    for run in runs:
        assert verify(capsys, run)["counts"]["done"] == 28


# --- code changes stale by content ----------------------------------------------------------


def test_a_semantic_sql_change_stales_every_day_and_a_comment_stales_none(env, monkeypatch, capsys):
    _, _, flags = env
    assert main([*RANGE, *flags]) == 0
    text = processor.PlayerGameSummaryJob.transform.text
    commented = Sql("player_game_summary", "-- a note\n" + text.replace("\n  ", "\n    "))
    monkeypatch.setattr(processor.PlayerGameSummaryJob, "transform", commented)
    assert verify(capsys, flags)["stale"] == {}

    changed = Sql(
        "player_game_summary", text.replace("shot_distance >= 23.75", "shot_distance >= 22.0")
    )
    assert changed.text != text
    monkeypatch.setattr(processor.PlayerGameSummaryJob, "transform", changed)
    status = verify(capsys, flags)
    assert len(status["stale"]) == 28
    assert set(map(tuple, status["stale"].values())) == {("transform changed",)}
    assert main([*RANGE, *flags, "--stale"]) == 0
    assert verify(capsys, flags)["stale"] == {}


# --- clocks decide nothing ------------------------------------------------------------------


@pytest.mark.parametrize("years", [40, -40])
def test_timestamps_moved_years_change_no_plan(env, capsys, years):
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    sql = f"DELETE FROM {SUMMARY} WHERE game_date = '{DAY}'"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(sql)
    capsys.readouterr()
    assert main([*RANGE, *flags, "--dry-run"]) == 0
    plan = capsys.readouterr().out
    [path] = checkpoints.glob("*.json")
    data = json.loads(path.read_text())
    for record in data["days"].values():
        for key in ("started_at", "finished_at"):
            if record.get(key):
                moved = date.fromisoformat(record[key][:10]) + timedelta(days=365 * years)
                record[key] = moved.isoformat() + record[key][10:]
    path.write_text(json.dumps(data))
    assert main([*RANGE, *flags, "--dry-run"]) == 0
    assert capsys.readouterr().out == plan
    assert f"{DAY}  rerun " in plan and "stale: rows deleted" in plan


# --- what a day read is what its rows say ---------------------------------------------------


def test_an_ingest_landing_mid_run_is_never_recorded_as_read_by_a_day_that_did_not_read_it(
    env, reference_rows, monkeypatch, capsys
):
    warehouse, _, flags = env
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            f"CREATE TABLE nba_raw.late AS SELECT * FROM {PBP} WHERE game_date = '{DAY}'"
        )
        connection.execute(f"DELETE FROM {PBP} WHERE game_date = '{DAY}'")
    original = DuckDBWarehouse.replace_partitions
    landed = []

    def ingest_lands_before_the_write(self, table, select, params, days, guard=None, **options):
        if date.fromisoformat(DAY) in days and not landed:
            # Planned while the day had no play-by-play; the file lands before the write.
            self.execute(Sql("ingest", f"INSERT INTO {PBP} SELECT * FROM nba_raw.late"))
            landed.append(True)
        return original(self, table, select, params, days, guard, **options)

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", ingest_lands_before_the_write)
    assert main([*RANGE, *flags]) == 0
    assert landed
    # The day's rows carry what the write read (the late events), so it is current and equal
    # to a clean run: the plan's stale snapshot was never recorded as read.
    assert verify(capsys, flags)["stale"] == {}
    assert table_rows(warehouse) == reference_rows
    # An ingest after the write makes the day stale, by the same rows.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"DELETE FROM {PBP} WHERE game_date = '{DAY}' AND event_type = 'foul'")
    assert list(verify(capsys, flags)["stale"]) == [DAY]


# --- the digests cover what the transforms read ---------------------------------------------


@pytest.mark.parametrize(
    "job", [processor.PlayerGameSummaryJob, features.PlayerShotZoneAnalysisJob]
)
def test_each_input_is_read_by_one_cte_of_plain_columns_that_its_digest_hashes_whole(
    job: type[PartitionJob],
) -> None:
    """So a source's digest covers every column the transform reads from it, by construction:
    nothing downstream of that CTE can read a column it does not hold."""
    tree = sqlglot.parse_one(job.transform.text, read="bigquery")
    ctes = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}
    readers = {
        name: [t for t in body.find_all(exp.Table) if t.args.get("db")]
        for name, body in ctes.items()
    }
    reading = {name: tables for name, tables in readers.items() if tables}
    assert len({t.sql() for tables in reading.values() for t in tables}) == len(reading)
    for source in job.sources:
        digest = ctes[source.cte]
        [read] = {t.name for t in digest.find_all(exp.Table) if t.name in ctes}
        if job is processor.PlayerGameSummaryJob:
            assert read in reading, f"{source.cte} must hash the CTE that reads the raw table"
            hashed = digest.find(exp.FarmFingerprint)
            assert hashed is not None and hashed.find(exp.Column).name == read
            assert all(isinstance(p, exp.Column) for p in ctes[read].expressions)


@pytest.mark.parametrize(
    "job", [processor.PlayerGameSummaryJob, features.PlayerShotZoneAnalysisJob]
)
def test_data_hash_covers_every_column_but_processed_at_and_the_lineage(
    job: type[PartitionJob],
) -> None:
    ddl = [
        c.name
        for c in sqlglot.parse_one(job.table.ddl.text, read="bigquery").find_all(exp.ColumnDef)
    ]
    meaningful = ddl[: ddl.index("processed_at")]
    tree = sqlglot.parse_one(job.transform.text, read="bigquery")
    hashed_cte = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}[
        "summary" if job is processor.PlayerGameSummaryJob else "features"
    ]
    assert [p.alias_or_name for p in hashed_cte.expressions] == meaningful
    content = sqlglot.parse_one(job.lineage.text, read="bigquery").find(exp.Struct)
    assert content is not None and [c.name for c in content.expressions] == meaningful


def test_stored_data_hash_equals_the_hash_of_the_stored_content(env, capsys):
    """What lineage.sql recomputes from a row is what the transform wrote as its data_hash."""
    warehouse, _, flags = env
    assert main([*RANGE, *flags]) == 0
    warehouse_ = DuckDBWarehouse(warehouse, read_only=True)
    try:
        job = processor.PlayerGameSummaryJob(warehouse_)
        lineage = job.written_lineage(date.fromisoformat(START), date.fromisoformat(END))
    finally:
        warehouse_.close()
    assert len(lineage) == 28
    assert all(
        g.changed_rows == 0 and g.version == job.version for d in lineage.values() for g in d
    )


def test_a_day_with_work_but_no_rows_is_re_examined_alone_by_a_new_container(env, tmp_path, capsys):
    warehouse, checkpoints, flags = env
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            f"DELETE FROM nba_raw.nbac_gamebook_player_stats WHERE game_date = '{DAY}'"
        )
    # Validation fails (a final-game day without rows) while the box score is missing.
    assert main([*RANGE, *flags]) == 1
    assert main([*RANGE, *flags]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Nothing to do")
    fresh = flags_for(warehouse, tmp_path / "fresh", tmp_path / "logs")
    assert main([*RANGE, *fresh]) == 1
    err = capsys.readouterr().err
    assert "Days: 1 to run (0 stale)" in err and "27 already done" in err
