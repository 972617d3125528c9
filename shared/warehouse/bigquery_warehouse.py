"""The production warehouse: BigQuery, reached only when ``--warehouse bigquery`` is chosen
(the factory imports this module lazily, so an embedded-only run never loads
google-cloud-bigquery).

The design (writes without DML, staging and copies, retries, timeouts, pacing, cost) is told
in docs/bigquery.md; the parts live in ``bigquery_config`` (settings and credentials),
``bigquery_jobs`` (jobs, waits, retries), ``bigquery_writes`` (partition writes),
``bigquery_bulk`` (a long range at once), ``bigquery_sql`` and ``bigquery_params``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import date

from google.auth.credentials import Credentials
from google.cloud import bigquery
from google.cloud.bigquery import retry as bigquery_retry

from shared.errors import ConfigError
from shared.warehouse.base import (
    Params,
    PartitionedTable,
    Row,
    ShrinkGuard,
    WriteResult,
)
from shared.warehouse.bigquery_bulk import MAX_BULK_DAYS, replace_range
from shared.warehouse.bigquery_config import (
    BIGQUERY_API,
    EMULATOR_ENV,
    ClientFactory,
    checked_datasets,
    checked_job_name,
    checked_location,
    checked_max_bytes,
    checked_pace,
    checked_project,
    default_client,
    default_credentials,
)
from shared.warehouse.bigquery_errors import (
    CLIENT_ERRORS,
    unreachable,
)
from shared.warehouse.bigquery_jobs import (
    _PREFLIGHT_RETRY,
    PREFLIGHT_DEADLINE_S,
    REQUEST_TIMEOUT_S,
    _Job,
)
from shared.warehouse.bigquery_sql import dml_target, not_null_columns
from shared.warehouse.bigquery_writes import PartitionWrites
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S, TablePacer
from shared.warehouse.sql import DatasetNames, Sql

logger = logging.getLogger(__name__)

# The permission a write into an existing table needs (roles/bigquery.dataEditor has it).
UPDATE_DATA = "bigquery.tables.updateData"


class BigQueryWarehouse(PartitionWrites):
    """The Warehouse Protocol on BigQuery; one client per worker thread."""

    dialect = "bigquery"
    target = "bigquery"
    # A bulk write (``bigquery_bulk.py``) spans at most this many days.
    bulk_write_days = MAX_BULK_DAYS
    adds_columns_in_one_statement = True

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
        self._client_factory = client_factory or default_client
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
