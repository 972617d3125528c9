"""The shape both jobs share: a day is a partition of one target table, written by one
checked-in transform and reported by one ``day_stats`` query.

A job names its SQL and its words; this class does the rest the same way for every job. The
``day_stats`` statement answers, per day of ``@start_date..@end_date`` that has work or rows,
``day`` (the day), ``units`` (its work: games, player-games ...), ``row_count`` (what the
target holds) and ``coverage`` (the job's quality ratio, or NULL).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import date

from shared.backfill.fingerprints import Source
from shared.backfill.job import DayCounts
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayResult, DayStatus
from shared.warehouse.base import PartitionedTable, Row, Warehouse, as_date
from shared.warehouse.sql import Sql

logger = logging.getLogger(__name__)


class PartitionJob:
    """Base of a job whose batch is one atomic ``replace_partitions`` then one ``day_stats``."""

    name: str
    sources: Sequence[Source] = ()
    table: PartitionedTable
    transform: Sql
    day_stats: Sql

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def params(self, first: date, last: date) -> dict[str, date]:
        """The transform's parameters for the days [first, last]."""
        return day_range(first, last)

    def units_before_first_write(self, start: date, end: date) -> Mapping[date, int]:
        """Work per day while the target does not exist yet (a dry run before any write)."""
        raise NotImplementedError

    def check_day(self, day: date, stats: Row) -> None:
        """A job's own warnings about a day it wrote (nothing by default)."""

    def day_counts(self, start: date, end: date) -> dict[date, DayCounts]:
        """Work and rows per day of [start, end] that has either (one ``day_stats`` read)."""
        if not self.warehouse.table_exists(self.table.name):
            return {
                day: DayCounts(units, 0)
                for day, units in self.units_before_first_write(start, end).items()
                if units
            }
        return {
            as_date(row["day"]): DayCounts(int(row["units"]), int(row["row_count"]))
            for row in self._stats(start, end)
            if int(row["units"]) > 0 or int(row["row_count"]) > 0
        }

    def process(self, days: Sequence[date]) -> list[DayResult]:
        """Replace the rows of ``days`` (consecutive) in one atomic write; one result per day.

        Days without work are SKIPPED (the write left them empty). The batch's wall time is
        split evenly across its days.
        """
        if not days or list(days) != calendar_days(days[0], days[-1]):
            raise ValueError(f"process() needs consecutive calendar days, got {list(days)}")
        started = time.monotonic()
        self.warehouse.replace_partitions(
            self.table, self.transform, self.params(days[0], days[-1]), days
        )
        stats = {as_date(row["day"]): row for row in self._stats(days[0], days[-1])}
        duration_s = (time.monotonic() - started) / len(days)
        return [self._result(day, stats.get(day), duration_s) for day in days]

    def estimate_bytes(self, day: date) -> int | None:
        """Bytes one day's transform would scan, where the warehouse tells for free (else None)."""
        return self.warehouse.estimate_bytes(self.transform, self.params(day, day))

    def _stats(self, start: date, end: date) -> list[Row]:
        return self.warehouse.query(self.day_stats, day_range(start, end))

    def _result(self, day: date, stats: Row | None, duration_s: float) -> DayResult:
        units = int(stats["units"]) if stats else 0
        if stats is None or units == 0:
            return DayResult(day=day, status=DayStatus.SKIPPED, duration_s=duration_s)
        self.check_day(day, stats)
        coverage = stats["coverage"]
        return DayResult(
            day=day,
            status=DayStatus.SUCCESS,
            rows=int(stats["row_count"]),
            units=units,
            coverage=None if coverage is None else float(coverage),
            duration_s=duration_s,
        )


def day_range(start: date, end: date) -> dict[str, date]:
    return {"start_date": start, "end_date": end}
