"""Partition writes without DML: one query job into ``table$YYYYMMDD`` for a day, or a
staging table (from the target's DDL) whose days are compared with the target and copied
over it partition by partition. Why these shapes: docs/bigquery.md."""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import date

from google.cloud import bigquery
from google.cloud.bigquery import retry as bigquery_retry

from shared.errors import WarehouseError
from shared.warehouse.base import (
    Params,
    PartitionedTable,
    Shrink,
    ShrinkGuard,
    WriteResult,
    as_date,
    split_shrinks,
)
from shared.warehouse.bigquery_errors import (
    CLIENT_ERRORS,
    first_line,
    is_transient,
)
from shared.warehouse.bigquery_jobs import (
    _CANCEL_WAIT_S,
    _NO_RETRY,
    REQUEST_TIMEOUT_S,
    BigQueryJobs,
    _Job,
)
from shared.warehouse.bigquery_sql import COLUMN, dataset_ref, partition_ref, quoted, staging_ddl
from shared.warehouse.sql import Sql

logger = logging.getLogger(__name__)


class PartitionWrites(BigQueryJobs):
    """Day-by-day partition replacement; ``_has_required`` is set by the warehouse."""

    _has_required: dict[str, bool]
    _has_required_lock: threading.Lock

    def _replace_day(
        self, target: bigquery.TableReference, select: Sql, params: Params, day: date
    ) -> int:
        destination = partition_ref(target, day)
        self.pacer.before_update(str(target))
        with self._tracked() as track:
            job = track(
                self._start_query(
                    self._sql(select.text),
                    params,
                    select.name,
                    day,
                    destination=destination,
                    write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                    create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                )
            )
            # getQueryResults' totalRows: present for every SELECT that completed (REST reference).
            rows = self._result(job, str(target)).total_rows or 0
        if rows == 0:
            self._delete_partition(target, day)
        logger.debug("%s: %d rows into %s (job %s)", select.name, rows, destination, job.job_id)
        return rows

    def _replace_via_staging(
        self,
        table: PartitionedTable,
        target: bigquery.TableReference,
        select: Sql,
        params: Params,
        days: list[date],
        guard: ShrinkGuard | None,
    ) -> WriteResult:
        first = days[0]
        staging = bigquery.TableReference(
            dataset_ref(target),
            f"{target.table_id}__staging_{first:%Y%m%d}_{uuid.uuid4().hex[:12]}",
        )
        ddl = staging_ddl(self._sql(table.ddl.text), staging, self._sql(select.text))
        try:
            with self._tracked() as track:
                self._result(track(self._start_query(ddl, params, select.name, first)))
            counts, held, accepted = self._staged(staging, target, table, guard, select.name, days)
            self._copy_days(
                staging, target, [d for d in days if counts.get(d) and d not in held], first
            )
            for day in days:
                if not counts.get(day) and day not in held:
                    self._delete_partition(target, day)
            written = sum(counts.get(day, 0) for day in days if day not in held)
            return WriteResult(written, held, accepted)
        finally:
            self._drop(staging)

    def _staged(
        self,
        staging: bigquery.TableReference,
        target: bigquery.TableReference,
        table: PartitionedTable,
        guard: ShrinkGuard | None,
        statement: str,
        days: list[date],
    ) -> tuple[dict[date, int], dict[date, tuple[Shrink, ...]], dict[date, tuple[Shrink, ...]]]:
        """The staged rows per day, and the days held and accepted by the guard; a
        WarehouseError when the transform returned rows of days outside the batch."""
        counts, shrinks = self._compare(staging, target, table, guard, statement, days)
        held, accepted = split_shrinks(shrinks, guard) if guard else ({}, {})
        outside = sorted(set(counts) - set(days))
        if outside:
            raise WarehouseError(
                f"{statement}: returned rows for days outside the batch: "
                + ", ".join(day.isoformat() for day in outside)
            )
        return counts, held, accepted

    def _compare(
        self,
        staging: bigquery.TableReference,
        target: bigquery.TableReference,
        table: PartitionedTable,
        guard: ShrinkGuard | None,
        statement: str,
        days: list[date],
    ) -> tuple[dict[date, int], list[Shrink]]:
        """Rows per day of the staged result and, with a guard, the units it would drop or
        cut against the target (one query)."""
        column = table.partition_column
        key = guard.key if guard else column
        for name in (column, key):
            if not COLUMN.match(name):
                raise ValueError(f"not a column name: {name!r}")
        old = (
            f"SELECT `{column}` AS day, `{key}` AS unit, COUNT(*) AS n FROM {quoted(target)} "
            f"WHERE `{column}` BETWEEN @first_day AND @last_day GROUP BY day, unit"
            if guard
            else "SELECT day, unit, n FROM new LIMIT 0"
        )
        sql = (
            f"WITH new AS (SELECT `{column}` AS day, `{key}` AS unit, COUNT(*) AS n "
            f"FROM {quoted(staging)} GROUP BY day, unit), old AS ({old}) "
            "SELECT COALESCE(new.day, old.day) AS day, CAST(COALESCE(new.unit, old.unit) AS STRING)"
            " AS unit, COALESCE(new.n, 0) AS after, COALESCE(old.n, 0) AS before "
            "FROM new FULL OUTER JOIN old ON new.day = old.day AND new.unit = old.unit"
        )
        params = {"first_day": days[0], "last_day": days[-1]} if guard else None
        with self._tracked() as track:
            rows = self._result(track(self._start_query(sql, params, statement, days[0])))
        counts: dict[date, int] = {}
        shrinks: list[Shrink] = []
        for row in rows:
            day = as_date(row["day"])
            counts[day] = counts.get(day, 0) + int(row["after"])
            if int(row["after"]) < int(row["before"]):
                shrinks.append(Shrink(day, str(row["unit"]), int(row["before"]), int(row["after"])))
        return {day: n for day, n in counts.items() if n}, sorted(
            shrinks, key=lambda s: (s.day, s.key)
        )

    def _copy_days(
        self,
        staging: bigquery.TableReference,
        target: bigquery.TableReference,
        days: list[date],
        first: date,
    ) -> None:
        """Copies each day's staged partition over the target's, all at once. A copy that
        failed for a transient reason is started again (paced, after the job retry's backoff);
        any other failure cancels the copies still running and waits for them, so none reads a
        staging table the caller is about to drop."""
        copies: dict[date, bigquery.CopyJob] = {}
        with self._tracked() as track:

            def start(day: date) -> bigquery.CopyJob:
                copies[day] = track(self._start_copy(staging, target, day, first))
                return copies[day]

            try:
                for day in days:
                    start(day)
                for day in days:
                    self._await_copy(copies[day], functools.partial(start, day))
            except BaseException:
                self._cancel_and_await(list(copies.values()))
                raise

    def _await_copy(
        self, job: bigquery.CopyJob, restart: Callable[[], bigquery.CopyJob]
    ) -> bigquery.CopyJob:
        """Waits for a copy; the client's job retry (its backoff and deadline) starts a failed
        one again when the reason is transient, as it does for queries."""
        current, failed = job, False

        def attempt() -> bigquery.CopyJob:
            nonlocal current, failed
            if failed:
                current, failed = restart(), False
            try:
                self._wait(current)
            except CLIENT_ERRORS:
                failed = current.error_result is not None
                raise
            return current

        def retryable(exc: Exception) -> bool:
            return (
                not self._interrupted.is_set()
                and isinstance(exc, CLIENT_ERRORS)
                and is_transient(exc)
            )

        return bigquery_retry.DEFAULT_JOB_RETRY.with_predicate(retryable)(attempt)()

    def _cancel_and_await(self, jobs: Sequence[_Job]) -> None:
        """Cancels the jobs not known to be done and waits (bounded) until they are."""
        running = [job for job in jobs if job.state != "DONE"]
        for job in running:
            self._cancel(job)
        for job in running:
            try:
                job.result(timeout=_CANCEL_WAIT_S)
            except CLIENT_ERRORS as exc:
                if not job.done():
                    logger.warning("BigQuery job %s still running: %s", job.job_id, first_line(exc))

    def _delete_partition(self, target: bigquery.TableReference, day: date) -> None:
        """A partition delete is a table update: each attempt (the client's retries too) takes
        a token of the target's bucket first."""

        def attempt() -> None:
            self._check_not_interrupted("delete")
            self.pacer.before_update(str(target))
            self._client().delete_table(
                partition_ref(target, day),
                not_found_ok=True,
                retry=_NO_RETRY,
                timeout=REQUEST_TIMEOUT_S,
            )

        bigquery_retry.DEFAULT_RETRY(attempt)()

    def _drop(self, staging: bigquery.TableReference) -> None:
        """Best effort: a staging table left behind expires on its own."""
        try:
            self._client().delete_table(staging, not_found_ok=True, timeout=REQUEST_TIMEOUT_S)
        except CLIENT_ERRORS as exc:
            logger.warning("could not drop %s (it expires by itself): %s", staging, first_line(exc))

    def _has_required_columns(self, target: bigquery.TableReference) -> bool:
        key = str(target)
        with self._has_required_lock:
            known = self._has_required.get(key)
        if known is None:
            schema = self._client().get_table(target, timeout=REQUEST_TIMEOUT_S).schema
            known = any(field.mode == "REQUIRED" for field in schema)
            with self._has_required_lock:
                self._has_required[key] = known
        return known
