"""The production warehouse: BigQuery, reached only when ``--warehouse bigquery`` is chosen.

The factory imports this module lazily, so an embedded-only run never loads
google-cloud-bigquery.

SQL goes out as checked in (BigQuery Standard SQL). Only when a dataset is renamed
(e.g. a scratch dataset for live tests) are its table qualifiers rewritten, on
sqlglot's AST. Values travel as typed
query parameters, never as literals.

Writes never use DML (domain.md, pitfall 5: 15 workers running DELETE+INSERT or
MERGE on one table exhaust its 2 running + 20 queued mutating statements and fail
each other's serialization). A day is replaced by a job whose destination is the
day's partition, ``table$YYYYMMDD``, with WRITE_TRUNCATE: one atomic swap that
counts only against the partition-modification limits (30,000 a day, 50 per 10 s
per table). Two shapes:

* one day, target without REQUIRED columns: one query job, destination
  ``target$YYYYMMDD``, WRITE_TRUNCATE, CREATE_NEVER.
* several days, or a target with REQUIRED (``NOT NULL``) columns: a CTAS builds a
  staging table in the analytics dataset from the target's own DDL (same columns
  and modes, partitioning and clustering; unique name; expires after
  ``STAGING_TTL_HOURS``), one small query counts its rows per day, then each day
  with rows is copied ``staging$YYYYMMDD`` -> ``target$YYYYMMDD`` with
  WRITE_TRUNCATE, and the staging table is dropped. Why REQUIRED matters: query
  results are always NULLABLE, and writing them into a REQUIRED column is a schema
  change a query job refuses (tests/test_bigquery_live.py checks this premise); a
  copy between identical schemas carries no change. Copies are free but count
  against BigQuery's daily per-table job limits, so a full-history run of one-day
  batches is best served by a target without NOT NULL (one query job a day).

Days that end empty: whether a zero-row WRITE_TRUNCATE empties a partition is not
documented, and copying a partition that does not exist is not either, so an empty
day is handled explicitly: its partition is deleted (``tables.delete`` on
``target$YYYYMMDD``, a partition modification, not DML).

Atomicity: each day is replaced atomically. If a multi-day replace fails part way,
the days already copied hold the new rows (the same rows a retry writes) and the
rest keep their old rows; the caller records none of them as done.

Rows written: the query job's ``totalRows`` (jobs.getQueryResults, present for every
completed SELECT) for a one-day write; the staging table's per-day counts otherwise.

Every query job is submitted with ``job_id_prefix`` ``{job_name}_{YYYYMMDD}_`` (never a
``job_id``, so the client keeps resubmitting jobs that fail with
jobRateLimitExceeded / jobBackendError / jobInternalError), labels ``job`` and
``day``, ``maximum_bytes_billed``, ``job_timeout_ms`` and the location; the client's default
``retry`` and ``job_retry`` are kept, for every query (pre-run reads and migrations too).
A copy job gets the same job retry here (the client has none for copies); its id is chosen
here, so a lost insert response (the retried insert meets 409 for its own id) is recovered
with jobs.get, as the client does for queries.

Nothing waits forever: each request has a timeout (``REQUEST_TIMEOUT_S``), each job a
server-side ``job_timeout_ms`` (a container killed without cancelling leaves no job running
for the default 6 h) and each wait for one a deadline just after it. The preflight retries an
unreachable endpoint for ``PREFLIGHT_DEADLINE_S`` only, then stops with one line.

Pacing (``shared/warehouse/pacing.py``, on by default): every table-update operation
(partition query, copy, partition delete, DML) first takes a token from its target table's
bucket, just under BigQuery's 50 per 10 s, and DML holds one of 2 slots per table. Every
resubmission does too: a failed job the job retry starts again, a copy started again, each
attempt of a partition delete.

Waiting for a query job, ``getQueryResults`` is not retried on the reasons that also report
a failed job (rateLimitExceeded, backendError, internalError): that endpoint turns a job's
failure into an HTTP error, and the client's default retry would ask it again for up to
10 minutes before looking at the job (googleapis/google-cloud-python#15714). Left to the
client's job retry instead, the job's state is read with jobs.get and a failed job is
resubmitted after a short backoff.

Cost: each thread sums the statistics of the jobs it ran (``take_cost``).

Credentials are resolved once, in the constructor (a missing one is a ConfigError
right away; with ``BIGQUERY_EMULATOR_HOST`` set, anonymous ones); ``preflight()`` then
checks the endpoint, the project, the datasets and the right to run jobs, and
``check_target()`` that an existing target takes the job's writes, so the CLI fails with exit 2
before any work.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

import google.auth
import sqlglot
from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import bigquery
from google.cloud.bigquery import retry as bigquery_retry
from sqlglot import exp

from shared.errors import ConfigError, WarehouseError
from shared.warehouse.base import (
    JobCost,
    Params,
    PartitionedTable,
    Row,
    Shrink,
    ShrinkGuard,
    WriteResult,
    as_date,
    split_shrinks,
)
from shared.warehouse.bigquery_bulk import MAX_BULK_DAYS, replace_range
from shared.warehouse.bigquery_errors import (
    CLIENT_ERRORS,
    NO_CREDENTIALS,
    TRANSIENT_TYPES,
    classify,
    error_reason,
    first_line,
    is_transient,
    unreachable,
)
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S, TablePacer
from shared.warehouse.sql import DatasetNames, Sql

logger = logging.getLogger(__name__)


# A pruned day reads a few hundred MB of raw partitions; an unpruned scan of the full
# play-by-play history reads many GiB (pitfall 3). 10 GiB caps a runaway job at about
# $0.06 on demand and fails it before any charge.
DEFAULT_MAXIMUM_BYTES_BILLED = 10 * 1024**3


# Staging tables outlive a crashed run by at most this long.
STAGING_TTL_HOURS = 24

_CANCEL_RETRY = api_retry.Retry(deadline=30.0)
_CANCEL_TIMEOUT_S = 10.0
# How long copies cancelled after a sibling failed are awaited before their source is dropped.
_CANCEL_WAIT_S = 60.0

# BigQuery stops a job after this long by itself (jobTimeoutMs; without it a job runs up to
# 6 h, https://cloud.google.com/bigquery/quotas#query_jobs), so a container killed before it
# could cancel leaves nothing running for long. A pruned day takes seconds; an hour leaves
# room for a long range written at once and ends within the Cloud Run task timeout (2 h).
JOB_TIMEOUT_S = 3600
# Waiting for a job gives up shortly after BigQuery would have stopped it.
RESULT_TIMEOUT_S = JOB_TIMEOUT_S + 120.0
# Each HTTP request (getQueryResults long-polls: the client gives it at least 120 s).
REQUEST_TIMEOUT_S = 60.0
# The preflight retries an unreachable endpoint this long before giving up (exit 2), and
# waits this long for each answer: a metadata call, answered in well under a second.
PREFLIGHT_DEADLINE_S = 10.0
# The permission a write into an existing table needs (roles/bigquery.dataEditor has it).
UPDATE_DATA = "bigquery.tables.updateData"

# google-cloud-bigquery honours this variable: every request goes to that host instead.
EMULATOR_ENV = "BIGQUERY_EMULATOR_HOST"

# Reasons with which getQueryResults also reports a failed job: the job retry (which reads
# the job's state first) handles them, not the per-request retry. Of the client's retryable
# reasons (google-cloud-bigquery retry.py) only badGateway is left to the request.
_REQUEST_RETRY_REASONS = frozenset({"badGateway"})


def _retry_request(exc: Exception) -> bool:
    reason = error_reason(exc)
    if reason is not None:
        return reason in _REQUEST_RETRY_REASONS
    return isinstance(exc, TRANSIENT_TYPES)


_RESULT_RETRY = bigquery_retry.DEFAULT_RETRY.with_predicate(_retry_request)
_PREFLIGHT_RETRY = bigquery_retry.DEFAULT_RETRY.with_deadline(PREFLIGHT_DEADLINE_S)
# One attempt: the caller retries (paced) around it.
_NO_RETRY = api_retry.Retry(predicate=lambda _exc: False)

# BigQuery project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter,
# not ending with a hyphen; legacy ones carry a "domain.com:" prefix.
_PROJECT = re.compile(r"^(?:[a-z0-9][a-z0-9.-]{0,252}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
_LOCATION = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,62}$")
_JOB_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_-]")

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")

ClientFactory = Callable[[str, Credentials, "str | None"], bigquery.Client]
_Job = bigquery.QueryJob | bigquery.CopyJob
_J = TypeVar("_J", bigquery.QueryJob, bigquery.CopyJob)


class _Track(Protocol):
    def __call__(self, job: _J) -> _J: ...


class BigQueryWarehouse:
    """The Warehouse Protocol on BigQuery; one client per worker thread."""

    dialect = "bigquery"
    target = "bigquery"
    # A bulk write (``bigquery_bulk.py``) spans at most this many days.
    bulk_write_days = MAX_BULK_DAYS

    def __init__(
        self,
        *,
        project: str,
        location: str | None = None,
        datasets: Mapping[str, str] | None = None,
        dataset_flags: Mapping[str, str] | None = None,
        job_name: str,
        maximum_bytes_billed: int | None = None,
        credentials: Credentials | None = None,
        client_factory: ClientFactory | None = None,
        table_updates_per_10s: float | None = DEFAULT_TABLE_UPDATES_PER_10S,
    ) -> None:
        self.project = checked_project(project)
        self.location = checked_location(location)
        self._flag_of = dict(dataset_flags or {})
        self.datasets = checked_datasets(datasets, self._flag_of)
        self._names = DatasetNames.of(self.datasets)
        self.job_name = checked_job_name(job_name)
        self.maximum_bytes_billed = checked_max_bytes(maximum_bytes_billed)
        self._credentials = credentials if credentials is not None else default_credentials()
        self._client_factory = client_factory or _default_client
        self._local = threading.local()
        self._clients: list[bigquery.Client] = []
        self._clients_lock = threading.Lock()
        self._running: set[_Job] = set()
        self._running_lock = threading.Lock()
        self._interrupted = threading.Event()
        self._has_required: dict[str, bool] = {}
        self._has_required_lock = threading.Lock()
        self.pacer = TablePacer(checked_pace(table_updates_per_10s), self._interrupted)

    # -- the Protocol ---------------------------------------------------------------

    def query(self, sql: Sql, params: Params | None = None) -> list[Row]:
        target = dml_target(self._sql(sql.text))
        with self._translated(sql.name), self._paced_dml(target), self._tracked() as track:
            job = track(self._start_statement(sql, params))
            self._result(job, target)
            # The job succeeded: an error now is the request's, so the full retry applies.
            pages = self._wait(job, retry=bigquery_retry.DEFAULT_RETRY)
            rows = [dict(row.items()) for row in pages]
        return rows

    def execute(self, sql: Sql, params: Params | None = None) -> None:
        target = dml_target(self._sql(sql.text))
        with self._translated(sql.name), self._paced_dml(target), self._tracked() as track:
            self._result(track(self._start_statement(sql, params)), target)

    def table_name(self, name: str) -> str:
        return self._names.table(name)

    def table_exists(self, name: str) -> bool:
        return self._get_table(name, "table_exists") is not None

    def columns(self, name: str) -> list[str]:
        table = self._get_table(name, "columns")
        return [field.name for field in table.schema] if table is not None else []

    def check_target(self, table: PartitionedTable) -> None:
        """ConfigError unless an existing target takes this job's writes: the caller may update
        its data, it is DAY-partitioned on the job's column, and each REQUIRED column is NOT NULL
        in the job's DDL too (staging is built from that DDL, and a copy of a NULLABLE column
        into a REQUIRED one is a schema change BigQuery refuses). A missing target passes: the
        job creates it. Free: metadata and tables.testIamPermissions."""
        found = self._get_table(table.name, "target")
        if found is None:
            return
        shown = self._names.table(table.name)
        with self._translated("target"):
            granted = self._client().test_iam_permissions(
                found.reference, [UPDATE_DATA], timeout=REQUEST_TIMEOUT_S
            )
        if UPDATE_DATA not in granted.get("permissions", []):
            raise ConfigError(
                f"no right to write {self.project}:{shown} ({UPDATE_DATA}): grant "
                "roles/bigquery.dataEditor on its dataset"
            )
        partitioning = found.time_partitioning
        if (
            partitioning is None
            or partitioning.type_ != "DAY"
            or partitioning.field != table.partition_column
        ):
            actual = (
                f"{partitioning.type_} on {partitioning.field or '_PARTITIONTIME'}"
                if partitioning is not None
                else "not partitioned"
            )
            raise ConfigError(
                f"{self.project}:{shown} is {actual}; the job writes DAY partitions on "
                f"{table.partition_column}: recreate it from the job's DDL or point the job "
                "at another dataset"
            )
        nullable = set(not_null_columns(self._sql(table.ddl.text)))
        required = [f.name for f in found.schema if f.mode == "REQUIRED" and f.name not in nullable]
        if required:
            raise ConfigError(
                f"{self.project}:{shown} has REQUIRED column(s) {', '.join(required)} that the "
                f"job's DDL leaves NULLABLE: relax them with ALTER TABLE ... ALTER COLUMN "
                f"{required[0]} DROP NOT NULL"
            )

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
        """Replace ``days`` of ``table`` with ``select``'s rows; see the module docstring, and
        ``bigquery_bulk.py`` for a ``bulk`` write.

        A guarded write of days the target held rows for goes through staging: the new rows
        are materialized once, compared with the target's, and only the days not held are
        copied. The windows left: a write to the target by another tool between the comparison
        and the copies, or, for a day that held no rows when the run was planned, before its
        direct write."""
        ordered = sorted(set(days))
        if not ordered:
            return WriteResult(0)
        target = self._table_ref(table.name)
        with self._translated(select.name):
            if bulk:
                return replace_range(self, table, target, select, params, ordered, guard)
            direct = guard is None or not guard.needed(ordered)
            if direct and len(ordered) == 1 and not self._has_required_columns(target):
                return WriteResult(self._replace_day(target, select, params, ordered[0]))
            return self._replace_via_staging(table, target, select, params, ordered, guard)

    def estimate_bytes(self, sql: Sql, params: Params | None = None) -> int | None:
        """Bytes the query would scan, from a dry run (free; the cache is off so it is honest)."""
        with self._translated(sql.name):
            job = self._start_statement(sql, params, dry_run=True, use_query_cache=False)
        return job.total_bytes_processed

    def take_cost(self) -> JobCost | None:
        """The statistics of the jobs this thread finished since its last call, summed."""
        cost: JobCost = getattr(self._local, "cost", JobCost())
        self._local.cost = JobCost()
        return cost

    def interrupt(self) -> None:
        """Cancel every job this adapter started that is still running; start no new one."""
        self._interrupted.set()
        with self._running_lock:
            running = list(self._running)
        for job in running:
            self._cancel(job)

    def close(self) -> None:
        if self.pacer.enabled:
            paced = self.pacer.stats()
            logger.info(
                "Pacing: %d table updates at most %g per 10 s per table; %d waited, %.1f s in all",
                paced.operations,
                self.pacer.updates_per_10s,
                paced.waits,
                paced.waited_s,
            )
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    # -- preflight ------------------------------------------------------------------

    def preflight(self) -> None:
        """Fail fast (ConfigError) on refused credentials, a missing project or dataset, a
        dataset outside ``--location``, or no right to run jobs. Free: metadata and a dry run.
        """
        client = self._client()
        for actual in dict.fromkeys(self.datasets.values()):
            with self._translated(f"dataset {actual}"):
                try:
                    dataset = client.get_dataset(
                        bigquery.DatasetReference(self.project, actual),
                        retry=_PREFLIGHT_RETRY,
                        timeout=PREFLIGHT_DEADLINE_S,
                    )
                except CLIENT_ERRORS as exc:
                    refused = unreachable(exc, os.environ.get(EMULATOR_ENV) or BIGQUERY_API)
                    if refused is not None:
                        raise refused from exc
                    raise
            where = dataset.location
            if self.location and where and where.lower() != self.location.lower():
                raise ConfigError(
                    f"dataset {self.project}:{actual} is in {where}, not in --location "
                    f"{self.location}: pass --location {where}"
                )
        with self._translated("preflight"):
            self._start_query(
                "SELECT 1", None, "preflight", None, dry_run=True, use_query_cache=False
            )

    # -- writes ---------------------------------------------------------------------

    def _replace_day(
        self, target: bigquery.TableReference, select: Sql, params: Params, day: date
    ) -> int:
        destination = _partition(target, day)
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
            _dataset(target), f"{target.table_id}__staging_{first:%Y%m%d}_{uuid.uuid4().hex[:12]}"
        )
        ddl = staging_ddl(self._sql(table.ddl.text), staging, self._sql(select.text))
        try:
            with self._tracked() as track:
                self._result(track(self._start_query(ddl, params, select.name, first)))
            counts, shrinks = self._compare(staging, target, table, guard, select.name, days)
            held, accepted = split_shrinks(shrinks, guard) if guard else ({}, {})
            outside = sorted(set(counts) - set(days))
            if outside:
                raise WarehouseError(
                    f"{select.name}: returned rows for days outside the batch: "
                    + ", ".join(day.isoformat() for day in outside)
                )
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
            if not _COLUMN.match(name):
                raise ValueError(f"not a column name: {name!r}")
        old = (
            f"SELECT `{column}` AS day, `{key}` AS unit, COUNT(*) AS n FROM {_quoted(target)} "
            f"WHERE `{column}` BETWEEN @first_day AND @last_day GROUP BY day, unit"
            if guard
            else "SELECT day, unit, n FROM new LIMIT 0"
        )
        sql = (
            f"WITH new AS (SELECT `{column}` AS day, `{key}` AS unit, COUNT(*) AS n "
            f"FROM {_quoted(staging)} GROUP BY day, unit), old AS ({old}) "
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
                _partition(target, day),
                not_found_ok=True,
                retry=_NO_RETRY,
                timeout=REQUEST_TIMEOUT_S,
            )

        bigquery_retry.DEFAULT_RETRY(attempt)()

    def _get_table(self, name: str, statement: str) -> bigquery.Table | None:
        with self._translated(statement):
            try:
                return self._client().get_table(self._table_ref(name), timeout=REQUEST_TIMEOUT_S)
            except api_exceptions.NotFound:
                return None

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

    # -- jobs -----------------------------------------------------------------------

    def _start_statement(
        self, sql: Sql, params: Params | None, **options: Any
    ) -> bigquery.QueryJob:
        """A checked-in statement; its jobs are named after its earliest DATE parameter."""
        day = _first_day(params)
        return self._start_query(self._sql(sql.text), params, sql.name, day, **options)

    def _start_query(
        self,
        text: str,
        params: Params | None,
        statement: str,
        day: date | None,
        **options: Any,
    ) -> bigquery.QueryJob:
        self._check_not_interrupted(statement)
        config = bigquery.QueryJobConfig(
            query_parameters=query_parameters(params),
            labels=self._labels(statement, day),
            maximum_bytes_billed=self.maximum_bytes_billed,
            use_legacy_sql=False,
            job_timeout_ms=JOB_TIMEOUT_S * 1000,
            **options,
        )
        return self._client().query(
            text,
            job_config=config,
            job_id_prefix=self._job_prefix(statement, day),
            location=self.location,
            project=self.project,
            timeout=REQUEST_TIMEOUT_S,
        )

    def _start_copy(
        self,
        staging: bigquery.TableReference,
        target: bigquery.TableReference,
        day: date,
        first: date,
    ) -> bigquery.CopyJob:
        """Copies ``staging$day`` over ``target$day``; named after the batch's first day. The
        id is chosen here, so a lost insert response (the client's retried insert meets 409 for
        this very id) is recovered with jobs.get."""
        self._check_not_interrupted("copy")
        self.pacer.before_update(str(target))
        config = bigquery.CopyJobConfig(
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
            labels=self._labels("copy", first),
            job_timeout_ms=JOB_TIMEOUT_S * 1000,
        )
        client = self._client()
        job_id = f"{self._job_prefix('copy', first)}{uuid.uuid4()}"
        try:
            return client.copy_table(
                _partition(staging, day),
                _partition(target, day),
                job_id=job_id,
                location=self.location,
                project=self.project,
                job_config=config,
                timeout=REQUEST_TIMEOUT_S,
            )
        except api_exceptions.Conflict:
            job = client.get_job(
                job_id, project=self.project, location=self.location, timeout=REQUEST_TIMEOUT_S
            )
            if not isinstance(job, bigquery.CopyJob):
                raise
            return job

    def _result(self, job: bigquery.QueryJob, table: str | None = None) -> Any:
        """Waits for a query job (see the module docstring on retries) and counts its cost.
        The client's job retry resubmits a failed one; into ``table`` it is paced first."""

        def resubmit(exc: Exception) -> bool:
            if self._interrupted.is_set() or not is_transient(exc):
                return False
            if table is not None and job.state == "DONE" and job.error_result is not None:
                self.pacer.before_update(table)  # the job failed: the retry starts it again
            return True

        job_retry = bigquery_retry.DEFAULT_JOB_RETRY.with_predicate(resubmit)
        rows = self._wait(job, retry=_RESULT_RETRY, job_retry=job_retry)
        self._add_cost(job)
        return rows

    def _wait(self, job: _Job, **options: Any) -> Any:
        """``job.result`` with each request bounded by REQUEST_TIMEOUT_S and the whole wait by
        RESULT_TIMEOUT_S (one ``timeout`` would bound both alike)."""
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        while True:
            try:
                return job.result(timeout=REQUEST_TIMEOUT_S, **options)
            except concurrent.futures.TimeoutError as exc:
                if time.monotonic() >= deadline:
                    raise WarehouseError(
                        f"BigQuery job {job.job_id} not done after {RESULT_TIMEOUT_S:g} s",
                        transient=True,
                    ) from exc

    def _add_cost(self, job: bigquery.QueryJob) -> None:
        """Adds a finished query job's statistics to this thread's cost. Copies are free (no bytes)
        and the client exposes no slot time for them."""
        cost = JobCost(
            bytes_processed=job.total_bytes_processed or 0,
            bytes_billed=job.total_bytes_billed or 0,
            slot_ms=job.slot_millis or 0,
        )
        self._local.cost = getattr(self._local, "cost", JobCost()) + cost

    @contextlib.contextmanager
    def _paced_dml(self, target: str | None) -> Iterator[None]:
        """A mutating DML statement holds a slot of its table and one update token."""
        if target is None:
            yield
            return
        with self.pacer.dml(target):
            self.pacer.before_update(target)
            yield

    def _job_prefix(self, statement: str, day: date | None) -> str:
        unit = f"{day:%Y%m%d}" if day else re.sub(r"[^A-Za-z0-9_-]", "_", statement)
        return f"{self.job_name}_{unit}_"

    def _labels(self, statement: str, day: date | None) -> dict[str, str]:
        labels = {"job": label_value(self.job_name), "statement": label_value(statement)}
        if day:
            labels["day"] = f"{day:%Y%m%d}"
        return labels

    def _check_not_interrupted(self, statement: str) -> None:
        if self._interrupted.is_set():
            raise WarehouseError(f"{statement}: not started, the run is stopping")

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[_Track]:
        """Registers started jobs as running (for interrupt) until the block ends."""
        started: list[_Job] = []

        def track(job: _J) -> _J:
            with self._running_lock:
                self._running.add(job)
            started.append(job)
            if self._interrupted.is_set():
                self._cancel(job)
            return job

        try:
            yield track
        finally:
            with self._running_lock:
                self._running.difference_update(started)

    def _cancel(self, job: _Job) -> None:
        try:
            self._client().cancel_job(
                job.job_id,
                project=job.project,
                location=job.location,
                retry=_CANCEL_RETRY,
                timeout=_CANCEL_TIMEOUT_S,
            )
        except CLIENT_ERRORS as exc:
            logger.warning("could not cancel BigQuery job %s: %s", job.job_id, first_line(exc))

    @contextlib.contextmanager
    def _translated(self, statement: str) -> Iterator[None]:
        try:
            yield
        except CLIENT_ERRORS as exc:
            raise classify(exc, statement, dataset_flags=self._dataset_flags()) from exc

    # -- names ----------------------------------------------------------------------

    def _client(self) -> bigquery.Client:
        """This thread's client: one client is not documented as thread-safe."""
        client: bigquery.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._client_factory(self.project, self._credentials, self.location)
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _sql(self, text: str) -> str:
        return self._names.text(text)

    def _table_ref(self, name: str) -> bigquery.TableReference:
        dataset, table = self._names.table(name).split(".")
        return bigquery.TableReference(bigquery.DatasetReference(self.project, dataset), table)

    def _dataset_flags(self) -> dict[str, str]:
        flags: dict[str, list[str]] = {}
        for logical, actual in self.datasets.items():
            flags.setdefault(actual, []).append(self._flag_of.get(logical, logical))
        return {actual: " / ".join(names) for actual, names in flags.items()}


BIGQUERY_API = "https://bigquery.googleapis.com"


def _default_client(
    project: str, credentials: Credentials, location: str | None
) -> bigquery.Client:
    return bigquery.Client(project=project, credentials=credentials, location=location)


def default_credentials() -> Credentials:
    """Application Default Credentials, or the one-line fix when there are none; anonymous
    ones against an emulator (``BIGQUERY_EMULATOR_HOST``), which checks none."""
    emulator = os.environ.get(EMULATOR_ENV)
    if emulator:
        # A warning, so it shows even before the CLI configures logging: this is not BigQuery.
        logger.warning(
            "%s=%s: talking to that emulator with anonymous credentials", EMULATOR_ENV, emulator
        )
        return AnonymousCredentials()
    try:
        credentials, _ = google.auth.default(scopes=bigquery.Client.SCOPE)
    except auth_exceptions.DefaultCredentialsError as exc:
        raise ConfigError(NO_CREDENTIALS) from exc
    return credentials


# -- validation -------------------------------------------------------------------------


def checked_project(project: str) -> str:
    if not _PROJECT.match(project or ""):
        raise ConfigError(
            f"--project {project!r} is not a BigQuery project id (6-30 lowercase letters, digits "
            "or hyphens, starting with a letter, optionally prefixed by 'domain:')"
        )
    return project


def checked_location(location: str | None) -> str | None:
    if location is not None and not _LOCATION.match(location):
        raise ConfigError(
            f"--location {location!r} is not a BigQuery location, e.g. US or us-west2"
        )
    return location


def checked_datasets(
    datasets: Mapping[str, str] | None, flags: Mapping[str, str]
) -> dict[str, str]:
    """Dataset as the SQL names it -> the dataset to use: every declared one (``flags``' keys),
    identity unless renamed; names checked before they enter SQL."""
    resolved = {name: name for name in flags}
    for name, actual in (datasets or {}).items():
        if flags and name not in flags:
            raise ConfigError(f"unknown dataset {name!r}: expected one of {', '.join(flags)}")
        if not _DATASET.match(actual or ""):
            raise ConfigError(
                f"{flags.get(name, name)} {actual!r} is not a BigQuery dataset name "
                "(letters, digits and underscores, at most 1024)"
            )
        resolved[name] = actual
    return resolved


def checked_job_name(job_name: str) -> str:
    if not _JOB_NAME.match(job_name or ""):
        raise ConfigError(
            f"job name {job_name!r} must be letters, digits, '_' or '-' (at most 100)"
        )
    return job_name


def checked_max_bytes(maximum_bytes_billed: int | None) -> int:
    if maximum_bytes_billed is None:
        return DEFAULT_MAXIMUM_BYTES_BILLED
    if maximum_bytes_billed < 1:
        raise ConfigError(f"--max-bytes-billed must be positive (got {maximum_bytes_billed})")
    return maximum_bytes_billed


def checked_pace(table_updates_per_10s: float | None) -> float | None:
    if table_updates_per_10s is not None and table_updates_per_10s <= 0:
        raise ConfigError(
            f"--pace-table-updates must be positive or 'off' (got {table_updates_per_10s:g})"
        )
    return table_updates_per_10s


def label_value(value: str) -> str:
    """A label value BigQuery accepts: lowercase letters, digits, '_' and '-', at most 63."""
    return _LABEL_UNSAFE.sub("_", value.lower())[:63]


# -- parameters -------------------------------------------------------------------------

# Order matters: bool is an int, datetime is a date.
_PARAMETER_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "BOOL"),
    (int, "INT64"),
    (float, "FLOAT64"),
    (str, "STRING"),
    (datetime, "TIMESTAMP"),
    (date, "DATE"),
)


def _parameter_type(name: str, value: object) -> str:
    for python_type, bigquery_type in _PARAMETER_TYPES:
        if isinstance(value, python_type):
            return bigquery_type
    raise TypeError(f"query parameter {name!r}: no BigQuery type for {type(value).__name__}")


def query_parameters(
    params: Params | None,
) -> list[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter]:
    """Python values as typed BigQuery parameters; lists become ARRAY parameters."""
    parameters: list[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter] = []
    for name, value in (params or {}).items():
        if isinstance(value, list | tuple):
            if not value:
                raise TypeError(f"query parameter {name!r}: an empty list has no element type")
            types = {_parameter_type(name, item) for item in value}
            if len(types) > 1:
                raise TypeError(f"query parameter {name!r}: mixed element types {sorted(types)}")
            parameters.append(bigquery.ArrayQueryParameter(name, types.pop(), list(value)))
        else:
            kind = _parameter_type(name, value)
            parameters.append(bigquery.ScalarQueryParameter(name, kind, value))
    return parameters


def _first_day(params: Params | None) -> date | None:
    """The earliest DATE parameter: names the jobs of a statement after the day it serves."""
    days: list[date] = []
    for value in (params or {}).values():
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, date) and not isinstance(item, datetime):
                days.append(item)
    return min(days, default=None)


# -- SQL --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def dml_target(text: str) -> str | None:
    """``dataset.table`` a mutating DML statement (INSERT, UPDATE, DELETE, MERGE) writes, else None."""
    statement = sqlglot.parse_one(text, read="bigquery")
    if not isinstance(statement, exp.Insert | exp.Update | exp.Delete | exp.Merge):
        return None
    table = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
    if not isinstance(table, exp.Table):
        return None
    return f"{table.db}.{table.name}" if table.db else table.name


def not_null_columns(ddl: str) -> list[str]:
    """The columns a CREATE TABLE declares NOT NULL."""
    create = sqlglot.parse_one(ddl, read="bigquery")
    return [
        column.name
        for column in create.find_all(exp.ColumnDef)
        if any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in column.constraints)
    ]


def staging_ddl(target_ddl: str, staging: bigquery.TableReference, select: str) -> str:
    """A CTAS creating ``staging`` with the target's columns (modes included), partitioning
    and clustering, expiring after STAGING_TTL_HOURS, filled by ``select``'s columns by name.
    """
    create = sqlglot.parse_one(target_ddl, read="bigquery")
    schema = create.this if isinstance(create, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        raise ValueError("the target DDL is not a CREATE TABLE with a column list")
    create = create.copy()
    create.comments = None
    create.set("exists", False)
    create.this.set(
        "this",
        exp.table_(staging.table_id, db=staging.dataset_id, catalog=staging.project, quoted=True),
    )
    properties = create.args.get("properties")
    if properties is not None:
        for option in [prop for prop in properties.expressions if type(prop) is exp.Property]:
            option.pop()
    columns = ", ".join(
        f"`{column.name}`" for column in schema.expressions if isinstance(column, exp.ColumnDef)
    )
    body = select.strip().rstrip(";").rstrip()
    return (
        f"{create.sql(dialect='bigquery')}\n"
        f"OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), "
        f"INTERVAL {STAGING_TTL_HOURS} HOUR))\n"
        f"AS (\nSELECT {columns}\nFROM (\n{body}\n)\n)"
    )


def _partition(table: bigquery.TableReference, day: date) -> bigquery.TableReference:
    return bigquery.TableReference(_dataset(table), f"{table.table_id}${day:%Y%m%d}")


def _dataset(table: bigquery.TableReference) -> bigquery.DatasetReference:
    return bigquery.DatasetReference(table.project, table.dataset_id)


def _quoted(table: bigquery.TableReference) -> str:
    return f"`{table.project}`.`{table.dataset_id}`.`{table.table_id}`"
