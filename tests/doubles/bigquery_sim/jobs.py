"""Jobs: a query or copy runs for a latency drawn from the configured distribution, its
result computed by DuckDB meanwhile, and commits at the end (where table-update limits and
injected faults apply), as BigQuery's job lifecycle PENDING -> RUNNING -> DONE
(https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatus).

Rules, each as documented:

* A destination ``table$YYYYMMDD`` with WRITE_TRUNCATE replaces that partition only; rows
  of another day are refused ("Some rows belong to different partitions rather than
  destination partition"), https://cloud.google.com/bigquery/docs/managing-partitioned-table-data#write-to-partition.
* Query results are NULLABLE, so writing them into a REQUIRED column is a schema change the
  job refuses ("Field x has changed mode from REQUIRED to NULLABLE";
  https://cloud.google.com/bigquery/docs/managing-table-schemas#change_a_columns_mode).
* Copies between partitions: https://cloud.google.com/bigquery/docs/managing-partitioned-table-data#copy_partitions;
  copying a partition that holds no rows is not documented and is refused (notFound).
* ``ALTER TABLE ... ADD COLUMN`` changes the table's schema, not its rows: the new columns
  are NULLABLE (a NOT NULL one is refused), come last and hold NULL in existing rows; it reads
  and bills nothing ("DDL statements don't incur charges"),
  https://cloud.google.com/bigquery/docs/managing-table-schemas#add_an_empty_column.
* ``maximumBytesBilled``: a query that would bill more fails with
  ``bytesBilledLimitExceeded`` before it runs, without charge
  (https://cloud.google.com/bigquery/docs/best-practices-costs#limit_query_costs_by_restricting_the_number_of_bytes_billed).
* Bytes: logical bytes of the partitions read (every column of them: an upper bound of what
  BigQuery bills, which counts only the columns read); billed rounded up to the MB with a
  10 MB minimum per table read (https://cloud.google.com/bigquery/pricing#on_demand_pricing).
  Copies are free.
* ``totalSlotMs`` is the job's simulated run time at one slot.
"""

from __future__ import annotations

import copy
import enum
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tests.doubles.bigquery_sim.rest import ApiError, invalid, not_found
from tests.doubles.bigquery_sim.sqltext import Statement, TableName
from tests.doubles.bigquery_sim.storage import Field, Storage, TableMeta, arrow_bigquery_type

_MB = 1024**2
MIN_BILLED_PER_TABLE = 10 * _MB


class State(enum.Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"


@dataclass(frozen=True)
class Destination:
    name: TableName
    day: date | None  # a partition decorator's day


def destination(reference: Mapping[str, str], project: str) -> Destination:
    """``{"projectId", "datasetId", "tableId": "t$YYYYMMDD"}`` as a table and a day."""
    if reference.get("projectId", project) != project:
        raise not_found(f"Project {reference.get('projectId')}")
    table_id = reference.get("tableId", "")
    table, _, decorator = table_id.partition("$")
    day = None
    if decorator:
        try:
            if len(decorator) != 8:
                raise ValueError(decorator)
            day = date(int(decorator[:4]), int(decorator[4:6]), int(decorator[6:8]))
        except ValueError as exc:
            raise invalid(f"Invalid partition decorator in table ID {table_id!r}") from exc
    return Destination(TableName(reference.get("datasetId", ""), table), day)


@dataclass
class Outcome:
    """What a finished query leaves for getQueryResults."""

    result: pa.Table | None = None
    fields: list[Field] | None = None
    rows_written: int | None = None
    dml_affected: int | None = None
    ddl_operation: str | None = None
    # A script's child jobs (its statements).
    children: int = 0


@dataclass
class SimJob:
    job_id: str
    resource: dict[str, Any]
    statement_label: str | None
    is_query: bool
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    state: State = State.PENDING
    error: ApiError | None = None
    outcome: Outcome = field(default_factory=Outcome)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.resource)

    def set_status(self, state: State, error: ApiError | None = None, **stats: Any) -> None:
        with self.lock:
            self.state = state
            status: dict[str, Any] = {"state": state.value}
            if error is not None:
                self.error = error
                status["errorResult"] = error.error_proto()
                status["errors"] = [error.error_proto()]
            self.resource["status"] = status
            statistics = self.resource.setdefault("statistics", {})
            for key, value in stats.items():
                if isinstance(value, dict):
                    statistics.setdefault(key, {}).update(value)
                else:
                    statistics[key] = value


def epoch_ms() -> str:
    return str(int(time.time() * 1000))


@dataclass(frozen=True)
class Cost:
    processed: int
    billed: int


def query_cost(storage: Storage, statement: Statement, params: Mapping[str, Any]) -> Cost:
    """Bytes a query reads (logical bytes of the partitions it reads) and bills."""
    per_table: dict[str, list[Any]] = {}
    metas: dict[str, TableMeta] = {}
    for read in statement.reads:
        meta = storage.table(read.name)
        if meta is None:
            raise not_found(f"Table {read.name}")
        metas[str(read.name)] = meta
        per_table.setdefault(str(read.name), []).append(read.days(meta.partition_column, params))
    processed = billed = 0
    for key, reads in per_table.items():
        table_bytes = storage.bytes_read(metas[key], reads)
        processed += table_bytes
        billed += max(MIN_BILLED_PER_TABLE, -(-table_bytes // _MB) * _MB)
    return Cost(processed, billed)


def check_write(meta: TableMeta, day: date | None, fields: list[Field], project: str) -> None:
    """Refuses results whose schema the destination cannot take without a schema change."""
    where = f"{project}:{meta.name}{'$' + format(day, '%Y%m%d') if day else ''}"
    names = {f.name for f in fields}
    for result_field in fields:
        target = meta.field(result_field.name)
        if target is None:
            raise invalid(
                f"Provided Schema does not match Table {where}. "
                f"Cannot add fields (field: {result_field.name})"
            )
        if target.type != result_field.type and not (
            target.type == "FLOAT" and result_field.type == "INTEGER"
        ):
            raise invalid(
                f"Provided Schema does not match Table {where}. Field {target.name} has "
                f"changed type from {target.type} to {result_field.type}"
            )
        if target.mode == "REQUIRED" and result_field.mode != "REQUIRED":
            raise invalid(
                f"Provided Schema does not match Table {where}. Field {target.name} has "
                f"changed mode from REQUIRED to {result_field.mode}"
            )
    for target in meta.fields:
        if target.mode == "REQUIRED" and target.name not in names:
            raise invalid(
                f"Provided Schema does not match Table {where}. "
                f"Field {target.name} is missing in new schema"
            )


def check_partition(meta: TableMeta, day: date, rows: pa.Table) -> None:
    column = meta.partition_column
    if column is None:
        raise invalid(f"Table {meta.name} is not partitioned: no partition decorator allowed")
    if rows.num_rows == 0:
        return
    if column not in rows.column_names:
        raise invalid(f"Required field {column} cannot be null")
    days = {as_day(value) for value in pc.unique(rows.column(column)).to_pylist()}
    if days != {day}:
        raise invalid(
            "Some rows belong to different partitions rather than destination partition "
            f"{day:%Y%m%d}"
        )


def as_day(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def result_fields(table: pa.Table) -> list[Field]:
    """Query results are always NULLABLE."""
    return [Field(f.name, arrow_bigquery_type(f.type), "NULLABLE") for f in table.schema]


def engine_error(exc: duckdb.Error) -> ApiError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, duckdb.ConstraintException):
        return invalid(message)
    if isinstance(exc, duckdb.CatalogException):
        return ApiError(404, "notFound", f"Not found: {message}")
    return invalid(message, "invalidQuery")


Commit = Callable[[], Outcome]
