"""The one small interface every warehouse adapter implements.

The engine and the jobs talk only to this Protocol, so the same job runs on the
embedded DuckDB file and on BigQuery. Parameters are plain Python values
(``date``, ``int``, ``float``, ``str``, ``bool`` or a list of one of them); each
adapter maps them to its own parameter types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from shared.warehouse.sql import Sql

Params = Mapping[str, Any]
Row = dict[str, Any]


def as_date(value: object) -> date:
    """A DATE column's value as ``date`` (a driver may hand back a ``datetime``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")


@dataclass(frozen=True)
class JobCost:
    """What the warehouse billed for some statements (BigQuery job statistics), summed."""

    bytes_processed: int = 0
    bytes_billed: int = 0
    slot_ms: int = 0

    def __add__(self, other: JobCost) -> JobCost:
        return JobCost(
            self.bytes_processed + other.bytes_processed,
            self.bytes_billed + other.bytes_billed,
            self.slot_ms + other.slot_ms,
        )


@dataclass(frozen=True)
class Dataset:
    """A dataset a job's SQL names (``nba_raw``), and the flag that points it elsewhere.

    SQL always says the production name; a run given ``--raw-dataset scratch`` reads
    ``scratch`` instead (a BigQuery dataset, or a schema of the DuckDB file).
    """

    name: str
    flag: str
    role: str


def missing_warehouse(path: Path, hint: str) -> str:
    """The refusal for a warehouse file that is not there, with the job's way to create it."""
    return f"warehouse {path} does not exist" + (f"; {hint}" if hint else "")


def as_named(datasets: Sequence[Dataset]) -> dict[str, str]:
    """Each dataset where the SQL says it is (no renames): ``{"nba_raw": "nba_raw", ...}``."""
    return {dataset.name: dataset.name for dataset in datasets}


@dataclass(frozen=True)
class Shrink:
    """A unit of a day (a game, a player) that new rows would drop or cut: ``before`` rows in
    the table, ``after`` in the new result."""

    day: date
    key: str
    before: int
    after: int


@dataclass(frozen=True)
class ShrinkGuard:
    """Never replace a day's rows with fewer per ``key`` (a column naming a unit of the day),
    unless the day is in ``allowed``: such a day is held, its old rows kept as they were."""

    key: str
    allowed: frozenset[date] = frozenset()
    # Days the target held rows for when the run was planned (None: unknown). An engine that
    # can only compare at a cost (BigQuery: through staging) may write the others directly.
    populated: frozenset[date] | None = None

    def needed(self, days: Sequence[date]) -> bool:
        return self.populated is None or any(day in self.populated for day in days)


@dataclass(frozen=True)
class WriteResult:
    """What a replace wrote; ``held``: the days it did not write, with what they would lose;
    ``accepted``: shrinks it wrote because their days were allowed."""

    rows: int
    held: Mapping[date, tuple[Shrink, ...]] = field(default_factory=dict)
    accepted: Mapping[date, tuple[Shrink, ...]] = field(default_factory=dict)


def split_shrinks(
    shrinks: Sequence[Shrink], guard: ShrinkGuard
) -> tuple[dict[date, tuple[Shrink, ...]], dict[date, tuple[Shrink, ...]]]:
    """(held, accepted): shrinks by day, the allowed days' apart."""
    by_day: dict[date, list[Shrink]] = {}
    for shrink in shrinks:
        by_day.setdefault(shrink.day, []).append(shrink)
    held = {d: tuple(s) for d, s in sorted(by_day.items()) if d not in guard.allowed}
    accepted = {d: tuple(s) for d, s in sorted(by_day.items()) if d in guard.allowed}
    return held, accepted


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by a DATE column, named ``dataset.table`` as in production."""

    name: str
    partition_column: str
    ddl: Sql


class Warehouse(Protocol):
    """What a job needs from a warehouse; adapters must be safe under many threads."""

    dialect: str
    # What --warehouse names: a DuckDB file's path as given, or "bigquery" (for hints).
    target: str
    # The most calendar days one bulk write may span (``replace_partitions(bulk=True)``); 0 when
    # the engine has no bulk write cheaper than its batches.
    bulk_write_days: int
    # Whether one ALTER TABLE adds all missing columns (BigQuery: one metadata update of the
    # five per 10 s it allows) or takes one action per statement (DuckDB).
    adds_columns_in_one_statement: bool

    def query(self, sql: Sql, params: Params | None = None) -> list[Row]:
        """Run a SELECT and return its rows as dicts."""
        ...

    def execute(self, sql: Sql, params: Params | None = None) -> None:
        """Run a statement that returns nothing (DDL)."""
        ...

    def table_name(self, name: str) -> str:
        """``dataset.table`` as this run names it (its dataset renamed by a flag), for messages."""
        ...

    def table_exists(self, name: str) -> bool:
        """Whether ``dataset.table`` exists (so callers never parse error messages for it)."""
        ...

    def columns(self, name: str) -> list[str]:
        """The column names of ``dataset.table``, in order; none if it does not exist."""
        ...

    def check_target(self, table: PartitionedTable) -> None:
        """ConfigError when ``table`` exists but cannot take the job's writes (rights,
        partitioning, column modes), before any work; a missing table passes."""
        ...

    def replace_partitions(
        self,
        table: PartitionedTable,
        select: Sql,
        params: Params,
        days: Sequence[date],
        guard: ShrinkGuard | None = None,
        *,
        bulk: bool = False,
    ) -> WriteResult:
        """Atomically replace the rows of ``days`` with the rows ``select`` returns.

        ``select`` yields rows of those days only, with the table's columns. After
        it returns, each of the days holds exactly the new rows (none if the select
        gave none), except the days ``guard`` holds, which keep their rows; if it raises,
        every day keeps its previous rows. ``bulk``: a long range the engine planned as one
        write (at most ``bulk_write_days``), which the warehouse may write in fewer operations.
        """
        ...

    def estimate_bytes(self, sql: Sql, params: Params | None = None) -> int | None:
        """Bytes a query would scan, where the engine can tell for free (else None)."""
        ...

    def take_cost(self) -> JobCost | None:
        """The cost of the statements the calling thread finished since its previous call
        (then reset); None where the engine bills nothing."""
        ...

    def interrupt(self) -> None:
        """Cancel the statements still running (called from the stop path on Ctrl-C)."""
        ...

    def close(self) -> None: ...
