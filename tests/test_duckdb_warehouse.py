from pathlib import Path

from backfill_jobs.analytics.player_game_summary.processor import DATASETS
from shared.warehouse.base import as_named
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql


def test_table_exists_by_dataset_and_name(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    warehouse.execute(Sql("t", "CREATE TABLE nba_raw.nbac_schedule (game_id STRING)"))
    assert warehouse.table_exists("nba_raw.nbac_schedule")
    assert not warehouse.table_exists("nba_analytics.nbac_schedule")
    assert not warehouse.table_exists("nba_raw.missing")
    warehouse.close()


def test_close_leaves_the_whole_warehouse_in_its_file(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    warehouse.execute(Sql("t", "CREATE TABLE nba_raw.t AS SELECT 1 AS x"))
    warehouse.close()
    assert not (tmp_path / "w.duckdb.wal").exists()
