"""A warehouse wrapper that adds a fixed round trip to every statement.

A remote engine answers each job after a round trip (submit, queue, poll) of
about a second whatever the work; DuckDB answers in milliseconds. Wrapping the
embedded warehouse in this makes thread scaling, resume and interrupt drills
behave as they would against BigQuery, on a 2-core machine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date

from shared.errors import WarehouseError
from shared.warehouse.base import (
    JobCost,
    Params,
    PartitionedTable,
    Row,
    ShrinkGuard,
    Warehouse,
    WriteResult,
)
from shared.warehouse.sql import Sql


class LatencyWarehouse:
    def __init__(self, inner: Warehouse, latency_s: float) -> None:
        self._inner = inner
        self._latency_s = latency_s
        self._cancelled = threading.Event()
        self.dialect = inner.dialect
        self.target = inner.target
        self.bulk_write_days = inner.bulk_write_days
        self.adds_columns_in_one_statement = inner.adds_columns_in_one_statement

    def _round_trip(self) -> None:
        if self._cancelled.wait(self._latency_s):
            raise WarehouseError("statement cancelled")

    def query(self, sql: Sql, params: Params | None = None) -> list[Row]:
        self._round_trip()
        return self._inner.query(sql, params)

    def execute(self, sql: Sql, params: Params | None = None) -> None:
        self._round_trip()
        self._inner.execute(sql, params)

    def table_name(self, name: str) -> str:
        return self._inner.table_name(name)

    def table_exists(self, name: str) -> bool:
        self._round_trip()
        return self._inner.table_exists(name)

    def columns(self, name: str) -> list[str]:
        self._round_trip()
        return self._inner.columns(name)

    def check_target(self, table: PartitionedTable) -> None:
        self._round_trip()
        self._inner.check_target(table)

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
        self._round_trip()
        return self._inner.replace_partitions(table, select, params, days, guard, bulk=bulk)

    def estimate_bytes(self, sql: Sql, params: Params | None = None) -> int | None:
        return self._inner.estimate_bytes(sql, params)

    def take_cost(self) -> JobCost | None:
        return self._inner.take_cost()

    def interrupt(self) -> None:
        self._cancelled.set()
        self._inner.interrupt()

    def close(self) -> None:
        self._inner.close()
