"""The simulator's tables: a DuckDB database whose schemas are the datasets, and a catalog of
what DuckDB does not keep (partitioning column, clustering, expiration), saved as a JSON
comment on each table so a reopened file keeps it.

Column modes come from DuckDB's NOT NULL (REQUIRED) and nullability (NULLABLE). Every write
of a table happens under that table's lock, in one DuckDB transaction, so a write either
lands whole or not at all, as a BigQuery job does.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tests.doubles.bigquery_sim.sqltext import TableName

DayRange = tuple[date | None, date | None, frozenset[date] | None]

_SYSTEM_SCHEMAS = {"main", "information_schema", "pg_catalog", "temp"}

# DuckDB column types as BigQuery reports them (tables.get, query result schemas).
_BIGQUERY_TYPES = {
    "BIGINT": "INTEGER",
    "INTEGER": "INTEGER",
    "SMALLINT": "INTEGER",
    "TINYINT": "INTEGER",
    "HUGEINT": "INTEGER",
    "UBIGINT": "INTEGER",
    "DOUBLE": "FLOAT",
    "FLOAT": "FLOAT",
    "REAL": "FLOAT",
    "BOOLEAN": "BOOLEAN",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP": "DATETIME",
}

# Logical bytes per value, from BigQuery's data size calculation
# (https://cloud.google.com/bigquery/docs/storage_overview#data_size_calculation):
# INT64/FLOAT64/DATE/DATETIME/TIMESTAMP 8, BOOL 1, NUMERIC 16, STRING 2 + UTF-8 bytes; NULL 0.
_FIXED_BYTES = {"INTEGER": 8, "FLOAT": 8, "DATE": 8, "DATETIME": 8, "TIMESTAMP": 8, "BOOLEAN": 1}


def bigquery_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return "NUMERIC"
    return _BIGQUERY_TYPES.get(duckdb_type, "STRING")


def arrow_bigquery_type(kind: pa.DataType) -> str:
    """The BigQuery type of a query result column."""
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "INTEGER"
    if pa.types.is_floating(kind):
        return "FLOAT"
    if pa.types.is_decimal(kind):
        # DuckDB sums integers into HUGEINT (decimal, scale 0); BigQuery's SUM(INT64) is INT64.
        return "INTEGER" if kind.scale == 0 else "NUMERIC"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP" if kind.tz else "DATETIME"
    return "STRING"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    mode: str  # REQUIRED or NULLABLE

    def to_api(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "mode": self.mode}


@dataclass
class TableMeta:
    name: TableName
    fields: tuple[Field, ...]
    partition_column: str | None = None
    clustering: tuple[str, ...] = ()
    expiration_ms: int | None = None
    version: int = 0

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class _Sizes:
    """Logical bytes per partition (None keys an unpartitioned table); ``stale`` days are
    measured again on the next read, ``all_stale`` after a whole-table write."""

    by_day: dict[date | None, int] = field(default_factory=dict)
    stale: set[date | None] = field(default_factory=set)
    all_stale: bool = True


class Storage:
    """Tables of one DuckDB file; safe under many threads (a cursor per thread)."""

    def __init__(self, path: Path | str, partitioning: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self._connection = duckdb.connect(str(self.path))
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()
        self._table_locks: dict[str, threading.Lock] = {}
        # DuckDB's compute is real, not simulated: at most one statement per core at a time.
        self.compute = threading.BoundedSemaphore(os.cpu_count() or 1)
        self._tables: dict[str, TableMeta] = {}
        self._sizes: dict[str, _Sizes] = {}
        self._datasets: set[str] = set()
        self._load_catalog(partitioning or {})

    # -- catalog --------------------------------------------------------------------

    def _load_catalog(self, partitioning: Mapping[str, str]) -> None:
        cursor = self.cursor()
        for (schema,) in cursor.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database()"
        ).fetchall():
            if schema not in _SYSTEM_SCHEMAS:
                self._datasets.add(schema)
        for schema, table, comment in cursor.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() AND NOT temporary"
        ).fetchall():
            if schema in _SYSTEM_SCHEMAS:
                continue
            name = TableName(schema, table)
            saved = _saved_options(comment)
            self._tables[str(name)] = TableMeta(
                name,
                self._fields(name),
                partition_column=partitioning.get(str(name), saved.get("partition_column")),
                clustering=tuple(saved.get("clustering", ())),
                expiration_ms=saved.get("expiration_ms"),
            )

    def _fields(self, name: TableName) -> tuple[Field, ...]:
        rows = (
            self.cursor()
            .execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_schema = $schema "
                "AND table_name = $table ORDER BY ordinal_position",
                {"schema": name.dataset, "table": name.table},
            )
            .fetchall()
        )
        return tuple(
            Field(column, bigquery_type(kind), "NULLABLE" if nullable == "YES" else "REQUIRED")
            for column, kind, nullable in rows
        )

    def datasets(self) -> set[str]:
        with self._lock:
            return set(self._datasets)

    def create_dataset(self, dataset: str) -> None:
        self.cursor().execute(f'CREATE SCHEMA IF NOT EXISTS "{dataset}"')
        with self._lock:
            self._datasets.add(dataset)

    def table(self, name: TableName) -> TableMeta | None:
        with self._lock:
            return self._tables.get(str(name))

    def tables(self) -> list[TableMeta]:
        with self._lock:
            return list(self._tables.values())

    def lock(self, name: TableName) -> threading.Lock:
        with self._lock:
            return self._table_locks.setdefault(str(name), threading.Lock())

    # -- DuckDB ---------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
            with self._lock:
                self._cursors.append(cursor)
        return cursor

    def value(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row (None without rows), read to the end: a result
        read with fetchone stays open, and with it its transaction, so this thread's next
        ``select`` would not see a table created since (DuckDB 2.0)."""
        rows = self.cursor().execute(sql, dict(params or {})).fetchall()
        return rows[0][0] if rows else None

    def select(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        with self.compute:
            return self.cursor().sql(sql, params=dict(params) or None).to_arrow_table()

    def create(
        self,
        name: TableName,
        ddl: str | None,
        result: pa.Table | None,
        *,
        partition_column: str | None,
        clustering: tuple[str, ...],
        expiration_ms: int | None,
    ) -> TableMeta:
        """CREATE TABLE from a column list (``ddl``), its rows from ``result`` by position;
        or, without ``ddl``, a table shaped like ``result``."""
        cursor = self.cursor()
        target = _quoted(name)
        with self.lock(name):
            cursor.begin()
            try:
                if ddl is not None:
                    cursor.execute(ddl)
                options = {
                    "partition_column": partition_column,
                    "clustering": list(clustering),
                    "expiration_ms": expiration_ms,
                }
                if result is not None:
                    cursor.register("__result", result)
                    try:
                        if ddl is None:
                            cursor.execute(f"CREATE TABLE {target} AS SELECT * FROM __result")
                        else:
                            cursor.execute(f"INSERT INTO {target} SELECT * FROM __result")
                    finally:
                        cursor.unregister("__result")
                # COMMENT takes no parameter: the JSON is quoted as a SQL string literal.
                comment = json.dumps(options).replace("'", "''")
                cursor.execute(f"COMMENT ON TABLE {target} IS '{comment}'")
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
            meta = TableMeta(name, self._fields(name), partition_column, clustering, expiration_ms)
            with self._lock:
                self._tables[str(name)] = meta
                self._sizes.pop(str(name), None)
        return meta

    def add_columns(self, meta: TableMeta, columns: Mapping[str, str]) -> None:
        """Adds each column (name -> DuckDB type) at the end of the table, NULL in every row, in
        one transaction; ``meta`` then carries the new schema (tables.get shows it)."""
        cursor = self.cursor()
        target = _quoted(meta.name)
        with self.lock(meta.name):
            cursor.begin()
            try:
                for column, kind in columns.items():
                    quoted = column.replace('"', '""')
                    cursor.execute(f'ALTER TABLE {target} ADD COLUMN "{quoted}" {kind}')
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
            fields = self._fields(meta.name)
            with self._lock:
                meta.fields = fields
                meta.version += 1

    def replace(self, meta: TableMeta, day: date | None, result: pa.Table, *, append: bool) -> int:
        """Rows of ``result`` (matched by name) replace partition ``day`` (the whole table
        when None), or are appended; one transaction."""
        cursor = self.cursor()
        target = _quoted(meta.name)
        with self.lock(meta.name):
            cursor.begin()
            try:
                if not append and day is None:
                    cursor.execute(f"DELETE FROM {target}")
                elif not append:
                    cursor.execute(
                        f'DELETE FROM {target} WHERE "{meta.partition_column}" = $day', {"day": day}
                    )
                cursor.register("__result", result)
                try:
                    cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM __result")
                finally:
                    cursor.unregister("__result")
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
            self._touched(meta, day)
        return result.num_rows

    def read_partition(self, meta: TableMeta, day: date | None) -> pa.Table:
        sql = f"SELECT * FROM {_quoted(meta.name)}"
        if day is None:
            return self.select(sql, {})
        return self.select(sql + f' WHERE "{meta.partition_column}" = $day', {"day": day})

    def delete(self, meta: TableMeta, day: date | None) -> None:
        """Drops the table, or deletes one partition's rows."""
        cursor = self.cursor()
        with self.lock(meta.name):
            if day is None:
                cursor.execute(f"DROP TABLE IF EXISTS {_quoted(meta.name)}")
                with self._lock:
                    self._tables.pop(str(meta.name), None)
                    self._sizes.pop(str(meta.name), None)
                return
            cursor.execute(
                f'DELETE FROM {_quoted(meta.name)} WHERE "{meta.partition_column}" = $day',
                {"day": day},
            )
            self._touched(meta, day)

    def dml(self, meta: TableMeta, sql: str, params: Mapping[str, Any]) -> int:
        """One DML statement in its own transaction; returns the rows it affected."""
        cursor = self.cursor()
        with self.lock(meta.name), self.compute:
            cursor.begin()
            try:
                rows = cursor.execute(sql, dict(params)).fetchall()
                cursor.commit()
            except BaseException:
                cursor.rollback()
                raise
            self._touched(meta, None)
        return int(rows[0][0]) if rows else 0

    def script(
        self, steps: Sequence[tuple[TableMeta, str, Mapping[str, Any]]], *, commit: bool = True
    ) -> list[int]:
        """DML statements in one transaction (rolled back on error, or when ``commit`` is
        False); the rows each affected."""
        cursor = self.cursor()
        metas = {str(meta.name): meta for meta, _, _ in steps}
        with contextlib.ExitStack() as held:
            for name in sorted(metas):
                held.enter_context(self.lock(metas[name].name))
            held.enter_context(self.compute)
            cursor.begin()
            try:
                affected = []
                for _, sql, params in steps:
                    rows = cursor.execute(sql, dict(params)).fetchall()
                    affected.append(int(rows[0][0]) if rows else 0)
                if commit:
                    cursor.commit()
                else:
                    cursor.rollback()
            except BaseException:
                cursor.rollback()
                raise
            for meta in metas.values():
                self._touched(meta, None)
        return affected

    def _touched(self, meta: TableMeta, day: date | None) -> None:
        with self._lock:
            meta.version += 1
            sizes = self._sizes.setdefault(str(meta.name), _Sizes())
            if day is None or meta.partition_column is None:
                sizes.all_stale = True
            else:
                sizes.stale.add(day)

    # -- sizes ----------------------------------------------------------------------

    def partition_rows(self, meta: TableMeta, day: date) -> int:
        count = self.value(
            f'SELECT COUNT(*) FROM {_quoted(meta.name)} WHERE "{meta.partition_column}" = $day',
            {"day": day},
        )
        return int(count or 0)

    def bytes_read(self, meta: TableMeta, reads: list[DayRange | None]) -> int:
        """Logical bytes of the partitions the references ``reads`` select, each partition
        counted once (a None reference reads every partition)."""
        sizes = self._measured(meta)
        if any(days is None for days in reads) or meta.partition_column is None:
            return sum(sizes.values())
        return sum(
            size
            for day, size in sizes.items()
            if day is not None and any(_selects(days, day) for days in reads if days is not None)
        )

    def table_bytes(self, meta: TableMeta) -> tuple[int, int]:
        """(rows, logical bytes) of the whole table, for tables.get."""
        sizes = self._measured(meta)
        count = self.value(f"SELECT COUNT(*) FROM {_quoted(meta.name)}")
        return int(count or 0), sum(sizes.values())

    def _measured(self, meta: TableMeta) -> dict[date | None, int]:
        key = str(meta.name)
        with self.lock(meta.name):
            with self._lock:
                sizes = self._sizes.setdefault(key, _Sizes())
                all_stale, stale = sizes.all_stale, set(sizes.stale)
                sizes.all_stale, sizes.stale = False, set()
            if all_stale:
                fresh = dict(self._measure(meta, None))
                with self._lock:
                    sizes.by_day = fresh
            for day in stale:
                measured = dict(self._measure(meta, day))
                with self._lock:
                    sizes.by_day.pop(day, None)
                    sizes.by_day.update(measured)
            with self._lock:
                return dict(sizes.by_day)

    def _measure(self, meta: TableMeta, day: date | None) -> Iterator[tuple[date | None, int]]:
        terms = [_size_term(f) for f in meta.fields] or ["0"]
        key = f'"{meta.partition_column}"' if meta.partition_column else "NULL"
        sql = f"SELECT {key} AS day, SUM({' + '.join(terms)}) FROM {_quoted(meta.name)}"
        params: dict[str, Any] = {}
        if day is not None and meta.partition_column:
            sql += f' WHERE "{meta.partition_column}" = $day'
            params["day"] = day
        sql += " GROUP BY day"
        with self.compute:
            rows = self.cursor().execute(sql, params).fetchall()
        for partition, total in rows:
            yield partition, int(total or 0)

    def close(self) -> None:
        with self._lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._connection.close()


def _saved_options(comment: str | None) -> dict[str, Any]:
    try:
        saved = json.loads(comment or "{}")
    except json.JSONDecodeError:
        return {}
    return saved if isinstance(saved, dict) else {}


def _selects(days: DayRange, day: date) -> bool:
    low, high, only = days
    return (
        (low is None or day >= low)
        and (high is None or day <= high)
        and (only is None or day in only)
    )


def _size_term(column: Field) -> str:
    quoted = f'"{column.name}"'
    if column.type in _FIXED_BYTES:
        return f"(CASE WHEN {quoted} IS NULL THEN 0 ELSE {_FIXED_BYTES[column.type]} END)"
    if column.type == "NUMERIC":
        return f"(CASE WHEN {quoted} IS NULL THEN 0 ELSE 16 END)"
    return f"COALESCE(strlen(CAST({quoted} AS VARCHAR)) + 2, 0)"


def _quoted(name: TableName) -> str:
    return f'"{name.dataset}"."{name.table}"'
