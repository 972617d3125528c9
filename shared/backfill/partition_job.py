"""The shape both jobs share: a day is a partition of one target table, written by one
checked-in transform (rows and their lineage in one statement) and reported by one
``day_stats`` query.

A job names its SQL and its words; this class does the rest the same way for every job:
- ``day_stats`` answers, per day of ``@start_date..@end_date`` that has work or rows, ``day``,
  ``units`` (its work: games, player-games ...), ``row_count`` (what the target holds) and
  ``coverage`` (the job's quality ratio, or NULL);
- ``lineage`` answers, per day and distinct lineage of its rows, ``day``,
  ``transform_version``, one column per source (``Source.column``), ``row_count`` and
  ``changed_rows`` (rows whose content no longer hashes to their ``data_hash``);
- the transform gets ``@transform_version`` and writes it, the source digests and
  ``data_hash`` on every row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from shared.backfill.fingerprints import (
    Fingerprint,
    Source,
    current_inputs,
    digest_queries,
    digest_text,
    transform_version,
)
from shared.backfill.job import DayCounts
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayResult, DayStatus, describe_shrinks
from shared.backfill.staleness import Written
from shared.errors import ConfigError
from shared.warehouse.base import (
    Params,
    PartitionedTable,
    Row,
    Shrink,
    ShrinkGuard,
    Warehouse,
    as_date,
)
from shared.warehouse.sql import Sql, added_columns

logger = logging.getLogger(__name__)


class PartitionJob:
    """Base of a job whose batch is one atomic ``replace_partitions`` then one ``day_stats``."""

    name: str
    sources: Sequence[Source] = ()
    table: PartitionedTable
    transform: Sql
    day_stats: Sql
    lineage: Sql
    # What the transform depends on besides its text (calendar rules ...), as text: part of
    # the transform version.
    constants: tuple[str, ...] = ()
    # The column naming a unit of a day (a game, a player): a write that would drop one, or
    # leave it fewer rows, is held (never written) unless its day is accepted.
    shrink_key: str
    # Units that fell between two phases (answers ``day, issue``), for the dry run and status.
    reconcile_sql: Sql

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.accepted_shrinks: frozenset[date] = frozenset()
        self.populated: frozenset[date] | None = None

    def accept_shrinks(self, days: Iterable[date]) -> None:
        self.accepted_shrinks = frozenset(days)

    def planned_with_rows(self, days: Iterable[date]) -> None:
        self.populated = frozenset(days)

    def explain_shrink(self, day: date, shrinks: Sequence[Shrink]) -> str:
        """Why a day is held, unit by unit (a job adds where its input went missing)."""
        return describe_shrinks(shrinks)

    @property
    def version(self) -> str:
        return transform_version(self.transform.text, self.constants)

    def params(self, first: date, last: date) -> dict[str, date]:
        """What the transform reads for the days [first, last]."""
        return day_range(first, last)

    def transform_params(self, first: date, last: date) -> dict[str, object]:
        params = {**self.params(first, last), "transform_version": self.version}
        return self.transform.bind(params)

    def check_written(self) -> None:
        if not self.warehouse.table_exists(self.table.name):
            raise ConfigError(
                f"warehouse has no {self.warehouse.table_name(self.table.name)} yet: nothing to "
                "validate; run the backfill over the range first"
            )

    def create_or_migrate(self) -> None:
        """Create the target, or add the columns its DDL has and the table lacks (a table
        written before lineage existed: its old rows carry none and count as unverified)."""
        self.warehouse.check_target(self.table)
        existing = self.warehouse.columns(self.table.name)
        if not existing:
            logger.info("creating %s", self.table.name)
            self.warehouse.execute(self.table.ddl)
            return
        missing = added_columns(
            self.table.ddl, existing, one_statement=self.warehouse.adds_columns_in_one_statement
        )
        for statement in missing:
            logger.info("%s: %s", self.table.name, statement.text)
            self.warehouse.execute(statement)

    def reconcile(self, start: date, end: date) -> dict[date, list[str]]:
        """Each day's units missing between phases (read-only, one query; {} before the
        target exists)."""
        if not self.warehouse.table_exists(self.table.name):
            return {}
        found: dict[date, list[str]] = {}
        for row in self.warehouse.query(self.reconcile_sql, day_range(start, end)):
            found.setdefault(as_date(row["day"]), []).append(str(row["issue"]))
        return found

    def current_inputs(self, start: date, end: date) -> dict[date, dict[str, Fingerprint]]:
        return current_inputs(self.warehouse, self.transform, self.sources, self.params(start, end))

    def lineage_statements(self, start: date, end: date) -> list[tuple[str, Sql, Params]]:
        params = self.params(start, end)
        statements: list[tuple[str, Sql, Params]] = []
        if self.warehouse.table_exists(self.table.name):
            statements.append(("rows", self.lineage, self.lineage.bind(params)))
        for source, sql in zip(
            self.sources, digest_queries(self.transform, self.sources), strict=True
        ):
            statements.append((source.name, sql, sql.bind(params)))
        return statements

    def written_lineage(self, start: date, end: date) -> dict[date, list[Written]]:
        if not self.warehouse.table_exists(self.table.name):
            return {}
        found: dict[date, list[Written]] = {}
        rows = self.warehouse.query(self.lineage, self.lineage.bind(self.params(start, end)))
        for row in rows:
            version = row["transform_version"]
            found.setdefault(as_date(row["day"]), []).append(
                Written(
                    version=None if version is None else str(version),
                    inputs={
                        s.name: Fingerprint(
                            int(row[s.rows_column] or 0), digest_text(row[s.column])
                        )
                        for s in self.sources
                    },
                    rows=int(row["row_count"]),
                    changed_rows=int(row["changed_rows"]),
                )
            )
        return found

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

    def process(self, days: Sequence[date], *, bulk: bool = False) -> list[DayResult]:
        """Replace the rows of ``days`` (consecutive) in one atomic write; one result per day.

        Days without work are SKIPPED (the write left them empty). The batch's wall time is
        split evenly across its days. ``bulk``: the days are a long range planned as one
        write (the warehouse's bulk write, where it has one).
        """
        if not days or list(days) != calendar_days(days[0], days[-1]):
            raise ValueError(f"process() needs consecutive calendar days, got {list(days)}")
        started = time.monotonic()
        written = self.warehouse.replace_partitions(
            self.table,
            self.transform,
            self.transform_params(days[0], days[-1]),
            days,
            ShrinkGuard(self.shrink_key, self.accepted_shrinks, self.populated),
            bulk=bulk,
        )
        stats = {as_date(row["day"]): row for row in self._stats(days[0], days[-1])}
        duration_s = (time.monotonic() - started) / len(days)
        results = []
        for day in days:
            if day in written.held:
                why = self.explain_shrink(day, written.held[day])
                results.append(DayResult(day, DayStatus.HELD, duration_s=duration_s, error=why))
                continue
            result = self._result(day, stats.get(day), duration_s)
            results.append(replace(result, accepted=tuple(written.accepted.get(day, ()))))
        return results

    def estimate_bytes(self, day: date) -> int | None:
        """Bytes one day's transform would scan, where the warehouse tells for free (else None)."""
        return self.warehouse.estimate_bytes(self.transform, self.transform_params(day, day))

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
