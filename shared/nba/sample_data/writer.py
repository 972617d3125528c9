"""Loading generated rows into the DuckDB warehouse: one transaction per seeding.

Rows are inserted sorted by game_date (then game and row order), so DuckDB's
zone maps let one day's query read about one day's row groups, the way a
partition filter does on BigQuery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from shared.nba.sample_data.games import SeasonTables
from shared.nba.schemas import GAMEBOOK, PLAY_BY_PLAY, RAW_DATASET, RAW_TABLES, SCHEDULE
from shared.warehouse.base import PartitionedTable
from shared.warehouse.duckdb_warehouse import open_refused
from shared.warehouse.sql import checked_table_name, to_duckdb

# Storage order of each table: unique keys, so the file's contents are reproducible.
_LOAD_ORDER = {
    SCHEDULE.name: ("game_date", "game_id"),
    GAMEBOOK.name: ("game_date", "game_id", "row_order"),
    PLAY_BY_PLAY.name: ("game_date", "game_id", "event_sequence"),
}


@dataclass(frozen=True)
class LoadCounts:
    games: int
    gamebook_rows: int
    play_by_play_events: int


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file, with the datasets and raw tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise open_refused(path, exc) from exc
    # DuckDB draws its progress bar on stdout, which holds the one summary line.
    connection.execute("SET enable_progress_bar = false")
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_DATASET}")
    for table in RAW_TABLES:
        connection.execute(to_duckdb(table.ddl.text))
    return connection


def _insert(connection: duckdb.DuckDBPyConnection, table: PartitionedTable, rows: pa.Table) -> int:
    name = checked_table_name(table.name)
    columns = ", ".join(connection.table(name).columns)
    order = ", ".join(_LOAD_ORDER[table.name])
    connection.register("generated_rows", rows)
    try:
        connection.execute(
            f"INSERT INTO {name} BY NAME SELECT {columns} FROM generated_rows ORDER BY {order}"
        )
    finally:
        connection.unregister("generated_rows")
    return rows.num_rows


def replace_range(
    connection: duckdb.DuckDBPyConnection, start: date, end: date, seasons: Iterable[SeasonTables]
) -> LoadCounts:
    """Delete the raw rows of [start, end] and insert the new ones, atomically."""
    counts = {SCHEDULE.name: 0, GAMEBOOK.name: 0, PLAY_BY_PLAY.name: 0}
    connection.begin()
    try:
        for table in RAW_TABLES:
            connection.execute(
                f"DELETE FROM {checked_table_name(table.name)} "
                "WHERE game_date BETWEEN $start AND $end",
                {"start": start, "end": end},
            )
        for season in seasons:
            counts[SCHEDULE.name] += _insert(connection, SCHEDULE, season.schedule)
            counts[GAMEBOOK.name] += _insert(connection, GAMEBOOK, season.gamebook)
            counts[PLAY_BY_PLAY.name] += _insert(connection, PLAY_BY_PLAY, season.play_by_play)
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return LoadCounts(
        games=counts[SCHEDULE.name],
        gamebook_rows=counts[GAMEBOOK.name],
        play_by_play_events=counts[PLAY_BY_PLAY.name],
    )
