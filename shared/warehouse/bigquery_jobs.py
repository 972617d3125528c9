"""BigQuery jobs: started with labels, job id prefix, byte cap and timeout; waited for with
bounded requests and deadlines; retried the way the client's job retry does; cancelled on a
stop; their cost summed per thread. One client per worker thread. Why each bound and retry is
what it is: docs/bigquery.md."""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any, Protocol, TypeVar

from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth.credentials import Credentials
from google.cloud import bigquery
from google.cloud.bigquery import retry as bigquery_retry

from shared.errors import WarehouseError
from shared.warehouse.base import (
    JobCost,
    Params,
)
from shared.warehouse.bigquery_config import ClientFactory, label_value
from shared.warehouse.bigquery_errors import (
    CLIENT_ERRORS,
    TRANSIENT_TYPES,
    classify,
    error_reason,
    first_line,
    is_transient,
)
from shared.warehouse.bigquery_params import first_day, query_parameters
from shared.warehouse.bigquery_sql import partition_ref
from shared.warehouse.pacing import TablePacer
from shared.warehouse.sql import DatasetNames, Sql

logger = logging.getLogger(__name__)

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

_Job = bigquery.QueryJob | bigquery.CopyJob
_J = TypeVar("_J", bigquery.QueryJob, bigquery.CopyJob)


class _Track(Protocol):
    def __call__(self, job: _J) -> _J: ...


class BigQueryJobs:
    """Jobs and clients of one adapter; the state is set by ``BigQueryWarehouse.__init__``."""

    project: str
    location: str | None
    datasets: dict[str, str]
    job_name: str
    maximum_bytes_billed: int
    pacer: TablePacer
    _flag_of: dict[str, str]
    _names: DatasetNames
    _credentials: Credentials
    _client_factory: ClientFactory
    _local: threading.local
    _clients: list[bigquery.Client]
    _clients_lock: threading.Lock
    _running: set[_Job]
    _running_lock: threading.Lock
    _interrupted: threading.Event

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

    def _get_table(self, name: str, statement: str) -> bigquery.Table | None:
        with self._translated(statement):
            try:
                return self._client().get_table(self._table_ref(name), timeout=REQUEST_TIMEOUT_S)
            except api_exceptions.NotFound:
                return None

    # -- jobs -----------------------------------------------------------------------

    def _start_statement(
        self, sql: Sql, params: Params | None, **options: Any
    ) -> bigquery.QueryJob:
        """A checked-in statement; its jobs are named after its earliest DATE parameter."""
        day = first_day(params)
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
                partition_ref(staging, day),
                partition_ref(target, day),
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
        """A mutating DML statement holds a slot of its table and one update token, from the
        same bucket as the table's partition writes (keyed ``project.dataset.table``)."""
        if target is None:
            yield
            return
        table = f"{self.project}.{target}"
        with self.pacer.dml(table):
            self.pacer.before_update(table)
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
