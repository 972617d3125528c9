import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from backfill_jobs.analytics.player_game_summary.processor import DATASETS
from shared.errors import WarehouseError
from shared.warehouse.base import PartitionedTable, as_named
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


def test_rows_outside_the_batch_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """A transform bug that returns another day's rows would duplicate that day; BigQuery
    refuses such a write, and so does the embedded warehouse."""
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    ddl = Sql("ddl", "CREATE TABLE nba_analytics.t (game_date DATE, x INT64)")
    warehouse.execute(ddl)
    table = PartitionedTable("nba_analytics.t", "game_date", ddl)
    day, other = date(2024, 1, 2), date(2024, 1, 9)
    warehouse.replace_partitions(
        table, Sql("t", "SELECT DATE '2024-01-09' AS game_date, 1 AS x"), {}, [other]
    )
    leaky = Sql("t", "SELECT d AS game_date, 2 AS x FROM UNNEST([@day, @other]) AS d")
    with pytest.raises(WarehouseError, match="outside the batch: 2024-01-09"):
        warehouse.replace_partitions(table, leaky, {"day": day, "other": other}, [day])
    rows = warehouse.query(Sql("q", "SELECT game_date, x FROM nba_analytics.t"))
    assert [(row["game_date"], row["x"]) for row in rows] == [(other, 1)]
    warehouse.close()


def test_an_error_keeps_duckdbs_whole_message_on_one_line(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    warehouse.execute(Sql("t", "CREATE TABLE nba_raw.nbac_schedule (game_id STRING)"))
    with pytest.raises(WarehouseError) as error:
        warehouse.query(Sql("q", "SELECT game_idd FROM nba_raw.nbac_schedule"))
    message = str(error.value)
    assert "\n" not in message and "^" not in message
    assert 'Candidate bindings: "game_id"' in message and "LINE 1: SELECT game_idd" in message
    warehouse.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_statement_in_the_main_thread_is_an_interrupt(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """DuckDB runs the handler while it runs a statement, drops its KeyboardInterrupt and raises
    RuntimeError("Query interrupted"): the adapter gives the interrupt back. The signal is
    sent once DuckDB reports progress on the statement, so it lands inside it (its cause
    shows it did). DuckDB looks at signals between pipelines, so the statement is one that
    ends in about a second anyway."""
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    cursor = warehouse._cursor()
    cursor.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    running = threading.Event()

    def signal_once_running() -> None:
        deadline = time.monotonic() + 10
        while cursor.query_progress() < 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        running.set()
        os.kill(os.getpid(), sig)

    previous = signal.signal(sig, signal.default_int_handler)
    try:
        threading.Thread(target=signal_once_running, daemon=True).start()
        with pytest.raises(KeyboardInterrupt) as raised:
            warehouse.query(Sql("slow", "SELECT SUM(HASH(range)) AS s FROM range(300000000)"))
    finally:
        signal.signal(sig, previous)
    assert running.is_set()
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert "Query interrupted" in str(raised.value.__cause__)
    warehouse.close()


def test_a_cancel_from_another_thread_stays_a_warehouse_error(tmp_path: Path) -> None:
    """``interrupt`` (the runner's cancel after its grace period) is no signal: the statement
    fails as a WarehouseError, and the run records why."""
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", datasets=as_named(DATASETS))
    cursor = warehouse._cursor()
    cursor.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")

    def cancel_once_running() -> None:
        deadline = time.monotonic() + 10
        while cursor.query_progress() < 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        warehouse.interrupt()

    threading.Thread(target=cancel_once_running, daemon=True).start()
    with pytest.raises(WarehouseError, match="cancelled"):
        warehouse.query(Sql("slow", "SELECT SUM(HASH(range)) AS s FROM range(300000000)"))
    warehouse.close()
