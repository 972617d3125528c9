"""The embedded warehouse: one DuckDB file, BigQuery datasets as DuckDB schemas.

One connection per process, a cursor (its own DuckDB connection to the same
database) per thread, so many worker threads run their transactions at once. At
most one statement per core runs at a time; the other workers wait their turn.
Measured on the default range with 15 workers (2 cores): peak RSS 290 MB instead
of 380 MB one day per statement, 320 MB instead of 535 MB with 60-day batches, at
the same speed (DuckDB already spreads each statement over the cores).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from shared.errors import ConfigError, WarehouseError
from shared.warehouse.base import JobCost, Params, PartitionedTable, Row
from shared.warehouse.sql import Sql, checked_table_name, to_duckdb

DATASETS = ("nba_raw", "nba_analytics")


class DuckDBWarehouse:
    dialect = "duckdb"

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self._read_only = read_only
        self._slots = threading.BoundedSemaphore(os.cpu_count() or 1)
        if read_only and not self.path.exists():
            raise ConfigError(
                f"warehouse {self.path} does not exist; seed it with "
                f"`python -m shared.sample_data --warehouse {self.path}`"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise ConfigError(f"cannot open warehouse {self.path}: {_first_line(exc)}") from exc
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        if not read_only:
            for dataset in DATASETS:
                self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
            with self._cursors_lock:
                self._cursors.append(cursor)
        return cursor

    def query(self, sql: Sql, params: Params | None = None) -> list[Row]:
        cursor = self._cursor()
        try:
            with self._slots:
                relation = cursor.execute(to_duckdb(sql.text), dict(params or {}))
                columns = [column[0] for column in relation.description or ()]
                rows = relation.fetchall()
        except duckdb.Error as exc:
            raise _warehouse_error(sql.name, exc) from exc
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def execute(self, sql: Sql, params: Params | None = None) -> None:
        cursor = self._cursor()
        try:
            with self._slots:
                cursor.execute(to_duckdb(sql.text), dict(params or {}))
        except duckdb.Error as exc:
            raise _warehouse_error(sql.name, exc) from exc

    def table_exists(self, name: str) -> bool:
        schema, table = checked_table_name(name).split(".")
        with self._slots:
            row = (
                self._cursor()
                .execute(
                    "SELECT COUNT(*) FROM information_schema.tables "
                    "WHERE table_schema = $schema AND table_name = $table",
                    {"schema": schema, "table": table},
                )
                .fetchone()
            )
        return bool(row and row[0])

    def replace_partitions(
        self, table: PartitionedTable, select: Sql, params: Params, days: Sequence[date]
    ) -> int:
        name = checked_table_name(table.name)
        column = table.partition_column
        cursor = self._cursor()
        with self._slots:
            cursor.begin()
            try:
                cursor.execute(
                    f"DELETE FROM {name} WHERE list_contains($replace_days, {column})",
                    {"replace_days": list(days)},
                )
                cursor.execute(f"INSERT INTO {name} BY NAME {to_duckdb(select.text)}", dict(params))
                row = cursor.fetchone()
                cursor.commit()
            except duckdb.Error as exc:
                cursor.rollback()
                raise _warehouse_error(select.name, exc) from exc
            except BaseException:
                cursor.rollback()
                raise
        return int(row[0]) if row else 0

    def estimate_bytes(self, sql: Sql, params: Params | None = None) -> int | None:
        return None

    def take_cost(self) -> JobCost | None:
        return None

    def interrupt(self) -> None:
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.interrupt()

    def close(self) -> None:
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        if not self._read_only:
            # Fold the write-ahead log into the file, so the file alone is the whole warehouse.
            self._connection.execute("CHECKPOINT")
        self._connection.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _warehouse_error(statement: str, exc: duckdb.Error) -> WarehouseError:
    # Write-write conflicts between concurrent transactions clear on a retry.
    transient = isinstance(exc, duckdb.TransactionException)
    return WarehouseError(f"{statement}: {_first_line(exc)}", transient=transient)
