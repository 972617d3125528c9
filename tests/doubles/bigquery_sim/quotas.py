"""BigQuery's limits that shape a backfill, enforced as the documentation states them.

* Table updates: 50 operations per 10 seconds per partitioned table, 5 per standard
  (non-partitioned) table; a partition-decorator query, a copy into a partition, a
  partition delete and a DML statement are each one
  (https://cloud.google.com/bigquery/quotas#partitioned_tables, "Maximum rate of
  partition operations"; https://cloud.google.com/bigquery/quotas#standard_tables, "Maximum
  rate of table data update operations per table: 5 operations every 10 seconds").
  Over it the operation fails with ``rateLimitExceeded`` ("Exceeded rate limits: too many
  partitioned table update operations for this table", see
  https://cloud.google.com/bigquery/docs/troubleshoot-quotas). It is counted when the
  operation commits, at the end of its job.
* DML statements: 25 per 10 seconds per table, each also a table update above
  (https://cloud.google.com/bigquery/quotas#data-manipulation-language-statements, "DML
  statements ... for each table: 25 statements every 10 seconds"); over it
  ``rateLimitExceeded`` (the message is the simulator's).
* Daily modifications: 30,000 partition modifications per column-partitioned table a day,
  each partition a job writes counting one
  (https://cloud.google.com/bigquery/quotas#partitioned_tables, "Number of partition
  modifications per column-partitioned table per day"), and 1,500 modifications per standard
  table a day (https://cloud.google.com/bigquery/quotas#standard_tables, "Table
  modifications per day"). Copies count even when they fail
  (https://cloud.google.com/bigquery/quotas#copy_jobs: "including failures"). Over them
  ``quotaExceeded`` (403), with the messages of
  https://cloud.google.com/bigquery/docs/troubleshoot-quotas. A day is a day of the
  simulator's clock.
* Job run time: a job runs at most its ``jobTimeoutMs``, at most 6 hours
  (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfiguration "jobTimeoutMs";
  https://cloud.google.com/bigquery/quotas#query_jobs, "Query execution time limit"); then it
  fails with ``timeout`` (the message of the 6-hour limit, as users meet it).
* Partitions per job: a query, DML statement or copy that modifies more than 4,000
  partitions fails (https://cloud.google.com/bigquery/quotas#partitioned_tables, "Number of
  partitions modified by a single job"), ``invalid`` (400), before it writes anything.
* Table metadata updates (an ALTER TABLE statement, as tables.patch and tables.update are):
  at most 5 per 10 seconds per table, each also one table update above; ``ADD COLUMN IF NOT
  EXISTS`` counts even when the column exists. Over it, ``rateLimitExceeded`` "Exceeded rate
  limits: too many table update operations for this table"
  (https://cloud.google.com/bigquery/quotas#standard_tables, "Maximum rate of table metadata
  update operations per table"; met in practice by dataform-co/dataform#2025, one ALTER TABLE
  per added column, and PeerDB-io/peerdb#1662, ADD COLUMN IF NOT EXISTS).
* Mutating DML: 2 statements run at once per table, 20 more wait in a queue; the next one
  fails with ``resourcesExceeded`` "Too many DML statements outstanding against table"
  (https://cloud.google.com/bigquery/docs/data-manipulation-language#dml_statement_conflicts,
  https://cloud.google.com/bigquery/quotas#data-manipulation-language-statements).
* Interactive queries: 100 run at once per project; more wait in the query queue, up to
  1,000 (https://cloud.google.com/bigquery/quotas#query_jobs,
  https://cloud.google.com/bigquery/docs/query-queues).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from tests.doubles.bigquery_sim.clock import SimClock
from tests.doubles.bigquery_sim.rest import ApiError

CANCELLED = "Job execution was cancelled: User requested cancellation"


@dataclass(frozen=True)
class Limits:
    table_updates: int = 50
    standard_table_updates: int = 5
    table_update_window_s: float = 10.0
    table_metadata_updates: int = 5
    dml_statements: int = 25
    partition_modifications_per_day: int = 30_000
    table_modifications_per_day: int = 1_500
    partitions_per_job: int = 4_000
    dml_running: int = 2
    dml_queued: int = 20
    concurrent_queries: int = 100
    queued_queries: int = 1000


def table_update_error(table: str, partitioned: bool) -> ApiError:
    kind = "partitioned table" if partitioned else "table"
    return ApiError(
        403,
        "rateLimitExceeded",
        f"Exceeded rate limits: too many {kind} update operations for this table ({table}). "
        "For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas",
    )


def dml_rate_error(table: str, partitioned: bool) -> ApiError:
    return ApiError(
        403,
        "rateLimitExceeded",
        f"Exceeded rate limits: too many DML statements for this table ({table}). For more "
        "information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas",
    )


def too_many_partitions(table: str, partitions: int, limit: int) -> ApiError:
    return ApiError(
        400,
        "invalid",
        f"Too many partitions produced by query, allowed {limit}, query produces at least "
        f"{partitions} partitions ({table})",
    )


MAX_JOB_S = 6 * 3600.0


def job_timeout_s(configuration: Mapping[str, Any]) -> float:
    """How long a job may run: its ``jobTimeoutMs`` if set, within the 6-hour limit."""
    given = configuration.get("jobTimeoutMs")
    return min(MAX_JOB_S, int(given) / 1000) if given is not None else MAX_JOB_S


def job_timed_out(limit_s: float) -> ApiError:
    return ApiError(
        400,
        "timeout",
        f"Operation timed out after {limit_s / 3600:.1f} hours. Consider reducing the amount "
        "of work performed by your operation so that it can complete within this limit.",
    )


class TableUpdates:
    """Sliding window of committed update operations per table: ``limits.table_updates`` per
    window on a partitioned table, ``limits.standard_table_updates`` on another, or ``allowed``
    on any (the metadata updates' and DML statements' own windows), refused with ``error``."""

    def __init__(
        self,
        limits: Limits,
        clock: SimClock,
        allowed: int | None = None,
        error: Callable[[str, bool], ApiError] = table_update_error,
    ) -> None:
        self._limits = limits
        self._allowed = allowed
        self._error = error
        self._clock = clock
        self._lock = threading.Lock()
        self._commits: dict[str, collections.deque[float]] = {}

    def admit(self, table: str, partitioned: bool) -> None:
        """Counts one operation on ``table`` now, or raises rateLimitExceeded."""
        allowed = self._allowed
        if allowed is None:
            limits = self._limits
            allowed = limits.table_updates if partitioned else limits.standard_table_updates
        now = self._clock.now()
        with self._lock:
            window = self._commits.setdefault(table, collections.deque())
            while window and window[0] <= now - self._limits.table_update_window_s:
                window.popleft()
            if len(window) >= allowed:
                raise self._error(table, partitioned)
            window.append(now)


class DailyModifications:
    """Partition modifications per partitioned table and modifications per standard table, in
    each day of the simulator's clock."""

    DAY_S = 86_400.0

    def __init__(self, limits: Limits, clock: SimClock) -> None:
        self._limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: collections.Counter[tuple[str, int]] = collections.Counter()

    def admit(self, table: str, partitioned: bool, partitions: int) -> None:
        """Counts a job's modifications of ``table`` (``partitions`` of a partitioned one, one
        of a standard one; none for 0, a change of metadata only), or raises quotaExceeded when
        the day's quota cannot take them."""
        self._add(table, partitioned, partitions, refuse=True)

    def count(self, table: str, partitioned: bool, partitions: int) -> None:
        """Counts modifications a failed job still spends (a copy's), refusing nothing."""
        self._add(table, partitioned, partitions, refuse=False)

    def _add(self, table: str, partitioned: bool, partitions: int, *, refuse: bool) -> None:
        spent = partitions if partitioned else min(1, partitions)
        if spent == 0:
            return
        limit = (
            self._limits.partition_modifications_per_day
            if partitioned
            else self._limits.table_modifications_per_day
        )
        key = (table, int(self._clock.now() // self.DAY_S))
        with self._lock:
            if refuse and self._counts[key] + spent > limit:
                raise ApiError(
                    403,
                    "quotaExceeded",
                    "Quota exceeded: Your table exceeded quota for Number of partition "
                    "modifications to a column partitioned table. For more information, see "
                    "https://cloud.google.com/bigquery/docs/troubleshoot-quotas"
                    if partitioned
                    else "Quota exceeded: Your table exceeded quota for imports or query appends "
                    "per table. For more information, see "
                    "https://cloud.google.com/bigquery/docs/troubleshoot-quotas",
                )
            self._counts[key] += spent


class DmlSlots:
    """At most ``dml_running`` mutating statements per table, ``dml_queued`` waiting."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._condition = threading.Condition()
        self._running: collections.Counter[str] = collections.Counter()
        self._waiting: collections.Counter[str] = collections.Counter()

    def enter(self, table: str, cancelled: threading.Event) -> None:
        with self._condition:
            if self._running[table] >= self._limits.dml_running:
                if self._waiting[table] >= self._limits.dml_queued:
                    raise ApiError(
                        400,
                        "resourcesExceeded",
                        f"Too many DML statements outstanding against table {table}, "
                        f"limit is {self._limits.dml_queued}",
                    )
                self._waiting[table] += 1
                try:
                    while self._running[table] >= self._limits.dml_running:
                        if cancelled.is_set():
                            raise ApiError(400, "stopped", CANCELLED)
                        self._condition.wait(0.05)
                finally:
                    self._waiting[table] -= 1
            self._running[table] += 1

    def leave(self, table: str) -> None:
        with self._condition:
            self._running[table] -= 1
            self._condition.notify_all()


class QuerySlots:
    """At most ``concurrent_queries`` running query jobs per project, the rest queued."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._condition = threading.Condition()
        self._running = 0
        self._waiting = 0
        self.peak_running = 0

    def enter(self, cancelled: threading.Event) -> None:
        with self._condition:
            if self._running >= self._limits.concurrent_queries:
                if self._waiting >= self._limits.queued_queries:
                    raise ApiError(
                        403,
                        "quotaExceeded",
                        "Quota exceeded: Your project and region exceeded quota for max number "
                        "of jobs that can be queued per project.",
                    )
                self._waiting += 1
                try:
                    while self._running >= self._limits.concurrent_queries:
                        if cancelled.is_set():
                            raise ApiError(400, "stopped", CANCELLED)
                        self._condition.wait(0.05)
                finally:
                    self._waiting -= 1
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)

    def leave(self) -> None:
        with self._condition:
            self._running -= 1
            self._condition.notify_all()


def dml_partitions_query(text: str, column: str, columns: Sequence[str]) -> str | None:
    """A SELECT (BigQuery SQL, same parameters) counting the partitions of ``column`` a DML
    statement modifies: the rows a DELETE or UPDATE matches, the rows an INSERT adds (its
    target's ``columns`` in order when it names none; a ``SELECT *`` is taken to carry the
    target's names). None for a MERGE or an INSERT from a set operation, which the simulator
    counts as one partition."""
    tree = sqlglot.parse_one(text, read="bigquery")
    if isinstance(tree, exp.Delete | exp.Update):
        target = tree.this
        alias = target.alias_or_name
        sources = [target.sql("bigquery")]
        extra = tree.args.get("from_") or tree.args.get("using")
        if isinstance(extra, exp.From):
            sources.append(extra.this.sql("bigquery"))
        elif isinstance(extra, list):
            sources += [source.sql("bigquery") for source in extra]
        where = tree.args.get("where")
        return f"SELECT COUNT(DISTINCT `{alias}`.`{column}`) AS n FROM {', '.join(sources)}" + (
            f" {where.sql('bigquery')}" if where is not None else ""
        )
    if not isinstance(tree, exp.Insert):
        return None
    named = tree.this.expressions if isinstance(tree.this, exp.Schema) else []
    order = [c.name.lower() for c in named] or [c.lower() for c in columns]
    if column.lower() not in order:
        return None
    position = order.index(column.lower())
    source = tree.expression
    if isinstance(source, exp.Values):
        rows = [row.expressions[position] for row in source.expressions]
        return (
            "SELECT COUNT(DISTINCT p) AS n FROM UNNEST(["
            + ", ".join(row.sql("bigquery") for row in rows)
            + "]) AS p"
        )
    if not isinstance(source, exp.Select):
        return None
    if any(isinstance(picked, exp.Star) for picked in source.expressions):
        # SELECT * of a table like the target (a staging table): same names.
        return f"SELECT COUNT(DISTINCT `{order[position]}`) AS n FROM ({source.sql('bigquery')})"
    source = source.copy()
    picked = source.expressions[position]
    source.expressions[position] = exp.alias_(
        picked.this if isinstance(picked, exp.Alias) else picked, "__partition"
    )
    return f"SELECT COUNT(DISTINCT __partition) AS n FROM ({source.sql('bigquery')})"
