"""BigQuery at its REST boundary: ``api_request(method, path, data, query_params)`` answers
as the service does, so the real google-cloud-bigquery client runs unchanged on top of it,
in process (``client._connection.api_request``) or over HTTP (``http.EmulatorServer``,
reached through ``BIGQUERY_EMULATOR_HOST``).

Methods (https://cloud.google.com/bigquery/docs/reference/rest): jobs.insert, jobs.get,
jobs.getQueryResults, jobs.cancel, datasets.get, tables.get, tables.insert, tables.delete.
The rules each job follows are in ``jobs.py``, the limits in ``quotas.py``.
"""

from __future__ import annotations

import collections
import copy
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tests.doubles.bigquery_sim.clock import Latency, SimClock
from tests.doubles.bigquery_sim.faults import FaultPlan, HttpFaults
from tests.doubles.bigquery_sim.jobs import (
    MIN_BILLED_PER_TABLE,
    Commit,
    Cost,
    Destination,
    Outcome,
    SimJob,
    State,
    check_partition,
    check_write,
    destination,
    engine_error,
    epoch_ms,
    query_cost,
    result_fields,
)
from tests.doubles.bigquery_sim.quotas import (
    CANCELLED,
    DailyModifications,
    DmlSlots,
    Limits,
    QuerySlots,
    TableUpdates,
    dml_partitions_query,
    dml_rate_error,
    job_timed_out,
    job_timeout_s,
    too_many_partitions,
)
from tests.doubles.bigquery_sim.rest import ApiError, invalid, not_found, parameters, rows
from tests.doubles.bigquery_sim.script import Script, parse_script
from tests.doubles.bigquery_sim.sqltext import Kind, SqlError, Statement, TableName, parse
from tests.doubles.bigquery_sim.storage import Field, Storage, TableMeta

# getQueryResults waits this long for the job when the caller gives no timeoutMs
# (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults: 10 s).
DEFAULT_RESULTS_TIMEOUT_MS = 10_000

# Labels: keys and values of lowercase letters, digits, '_' and '-', at most 63 characters,
# keys starting with a letter, at most 64 labels
# (https://cloud.google.com/bigquery/docs/labels-intro#requirements).
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_MAX_LABELS = 64


@dataclass(frozen=True)
class SimConfig:
    project: str = "sim-project"
    location: str = "US"
    time_scale: float = 1.0
    latency: Latency = field(default_factory=Latency)
    limits: Limits = field(default_factory=Limits)
    seed: int = 0
    # Faults of HTTP requests, injected by http.EmulatorServer (faults.py).
    http_faults: HttpFaults = field(default_factory=HttpFaults)
    # Permissions tables.testIamPermissions leaves out (the caller holds every other one).
    denied_permissions: frozenset[str] = frozenset()
    # A fixed latency (simulated seconds) for the jobs of a ``statement`` label instead of the
    # drawn one: a long-running job that a test cancels (jobs.cancel stops it, as in BigQuery,
    # https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/cancel).
    statement_latency_s: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One REST call as the simulator received it (in process or over HTTP): what a test
    asserts the real client sent (a job's configuration, a partition delete, a cancel)."""

    method: str
    path: str
    data: Mapping[str, Any]
    query: Mapping[str, Any]


@dataclass
class SimStats:
    """What the simulator saw: jobs, refusals, injected faults and bytes by statement label."""

    jobs: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    bytes_processed: collections.Counter[str] = field(default_factory=collections.Counter)
    bytes_billed: collections.Counter[str] = field(default_factory=collections.Counter)
    dry_run_bytes: collections.Counter[str] = field(default_factory=collections.Counter)
    slot_ms: int = 0
    engine_s: float = 0.0
    # Committed table update operations per table (loads, copies, query writes, DML statements,
    # partition deletes): what the 50-per-10-s quota counts.
    table_updates: collections.Counter[str] = field(default_factory=collections.Counter)
    # Simulated seconds of the jobs' drawn latencies, and how far real compute (DuckDB, and
    # waiting for a core) ran past them: the share of simulated time the machine added.
    latency_s: float = 0.0
    overrun_s: float = 0.0

    @property
    def rate_limited(self) -> int:
        return self.errors["rateLimitExceeded"] + self.errors["jobRateLimitExceeded"]


class BigQuerySimulator:
    """One project and location over one DuckDB file (datasets are its schemas)."""

    def __init__(
        self,
        warehouse: Path | str,
        config: SimConfig | None = None,
        *,
        partitioning: Mapping[str, str] | None = None,
        faults: FaultPlan | None = None,
        datasets: Iterable[str] = (),
    ) -> None:
        """``datasets``: created if missing, as ``bq mk`` would before a first run."""
        self.config = config or SimConfig()
        self.storage = Storage(warehouse, partitioning)
        for dataset in datasets:
            self.storage.create_dataset(dataset)
        self.clock = SimClock(self.config.time_scale)
        self.faults = faults or FaultPlan()
        self._updates = TableUpdates(self.config.limits, self.clock)
        self._metadata_updates = TableUpdates(
            self.config.limits, self.clock, self.config.limits.table_metadata_updates
        )
        self._dml_statements = TableUpdates(
            self.config.limits, self.clock, self.config.limits.dml_statements, dml_rate_error
        )
        self._daily = DailyModifications(self.config.limits, self.clock)
        self._dml = DmlSlots(self.config.limits)
        self._queries = QuerySlots(self.config.limits)
        self._rng = random.Random(self.config.seed)
        self._rng_lock = threading.Lock()
        self._jobs: dict[str, SimJob] = {}
        self._lock = threading.Lock()
        self._stats = SimStats()
        self._pool = ThreadPoolExecutor(max_workers=256, thread_name_prefix="bqsim-job")
        self._requests: list[Request] = []

    # -- the REST boundary ------------------------------------------------------------

    def api_request(
        self,
        method: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        query_params: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """One REST call; raises the ``google.api_core`` exception the client would."""
        try:
            return self.handle(method, path, data or {}, query_params or {})
        except ApiError as error:
            raise error.to_exception() from None

    def handle(
        self, method: str, path: str, data: Mapping[str, Any], query: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            self._requests.append(Request(method.upper(), path, copy.deepcopy(data), dict(query)))
        parts = path.strip("/").split("/")
        if parts[:2] == ["bigquery", "v2"]:
            parts = parts[2:]
        if len(parts) < 2 or parts[0] != "projects":
            raise not_found(f"URL /{'/'.join(parts)}")
        if parts[1] != self.config.project:
            raise not_found(f"Project {parts[1]}")
        rest = parts[2:]
        if method.upper() == "POST" and rest and rest[-1].endswith(_TEST_IAM):
            return self._test_permissions(rest, data)
        route = (method.upper(), *[_ROUTE_KEYS.get(part, "{}") for part in rest])
        if route == ("POST", "jobs"):
            return self._insert_job(data)
        if route == ("GET", "jobs", "{}"):
            return self._job(rest[1]).snapshot()
        if route == ("POST", "jobs", "{}", "cancel"):
            return self._cancel(rest[1])
        if route == ("GET", "queries", "{}"):
            return self._query_results(rest[1], query)
        if route == ("GET", "datasets", "{}"):
            return self._dataset(rest[1])
        if route == ("GET", "datasets", "{}", "tables", "{}"):
            return self._table_resource(
                self._existing(Destination(TableName(rest[1], rest[3]), None))
            )
        if route == ("POST", "datasets", "{}", "tables"):
            return self._insert_table(rest[1], data)
        if route == ("DELETE", "datasets", "{}", "tables", "{}"):
            return self._delete_table(rest[1], rest[3])
        raise invalid(f"{method} {path} is not supported by the simulator", "notImplemented")

    # -- views --------------------------------------------------------------------------

    def stats(self) -> SimStats:
        with self._lock:
            return SimStats(
                collections.Counter(self._stats.jobs),
                collections.Counter(self._stats.errors),
                collections.Counter(self._stats.bytes_processed),
                collections.Counter(self._stats.bytes_billed),
                collections.Counter(self._stats.dry_run_bytes),
                self._stats.slot_ms,
                self._stats.engine_s,
                collections.Counter(self._stats.table_updates),
                self._stats.latency_s,
                self._stats.overrun_s,
            )

    def requests(self, method: str | None = None) -> list[Request]:
        """Every REST call received, in order (``method``: only those, e.g. ``DELETE``)."""
        with self._lock:
            return [r for r in self._requests if method is None or r.method == method]

    def clear_requests(self) -> None:
        """Forget the calls received so far (a test's set-up is not what it asserts on)."""
        with self._lock:
            self._requests.clear()

    def jobs(self) -> list[dict[str, Any]]:
        """Every job resource, in submission order (tests read configurations from them)."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [job.snapshot() for job in jobs]

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        with self._lock:
            jobs = list(self._jobs.values())
        return all(job.done.wait(timeout_s) for job in jobs)

    def close(self) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.cancelled.set()
        self._pool.shutdown(wait=True)
        self.storage.close()

    # -- jobs.insert ----------------------------------------------------------------------

    def _insert_job(self, body: Mapping[str, Any]) -> dict[str, Any]:
        reference = dict(body.get("jobReference") or {})
        job_id = reference.get("jobId") or f"job_{self._draw_id()}"
        reference.update(
            projectId=self.config.project,
            jobId=job_id,
            location=reference.get("location") or self.config.location,
        )
        configuration = dict(body.get("configuration") or {})
        labels = dict(configuration.get("labels") or {})
        _check_labels(labels)
        resource: dict[str, Any] = {
            "kind": "bigquery#job",
            "id": f"{self.config.project}:{reference['location']}.{job_id}",
            "jobReference": reference,
            "configuration": configuration,
            "statistics": {"creationTime": epoch_ms()},
            "status": {"state": State.PENDING.value},
        }
        is_query = "query" in configuration
        if not is_query and "copy" not in configuration:
            raise invalid("the simulator runs query and copy jobs only", "notImplemented")
        try:
            if is_query:
                commit_plan = self._plan_query(configuration, resource)
            else:
                commit_plan = self._plan_copy(configuration["copy"])
        except ApiError as refusal:
            if configuration.get("dryRun"):
                raise
            # A job that cannot run is still created; it fails with the reason.
            commit_plan = _Plan(None, {}, Cost(0, 0), _raise(refusal), refused=refusal)
        if configuration.get("dryRun"):
            return resource
        job = SimJob(job_id, resource, labels.get("statement"), is_query)
        with self._lock:
            if job_id in self._jobs:
                raise ApiError(
                    409, "duplicate", f"Already Exists: Job {self.config.project}:{job_id}"
                )
            self._jobs[job_id] = job
            self._stats.jobs["query" if is_query else "copy"] += 1
        self._pool.submit(self._run, job, commit_plan)
        return job.snapshot()

    def _plan_query(self, configuration: Mapping[str, Any], resource: dict[str, Any]) -> _Plan:
        spec = configuration["query"]
        if spec.get("useLegacySql") is True:
            raise invalid("the simulator runs GoogleSQL only: set useLegacySql false")
        try:
            script = parse_script(spec.get("query", ""))
            if script is not None:
                return self._plan_script(script, configuration, resource)
            statement = parse(spec.get("query", ""))
        except SqlError as exc:
            raise invalid(str(exc), "invalidQuery") from exc
        foreign = statement.projects - {self.config.project}
        if foreign:
            raise not_found(f"Project {sorted(foreign)[0]}")
        params = parameters(spec.get("queryParameters") or [])
        missing = statement.parameters - set(params)
        if missing:
            raise invalid(f"Query parameter '{sorted(missing)[0]}' not found", "invalidQuery")
        for read in statement.reads:
            self._existing(Destination(read.name, None))
        cost = query_cost(self.storage, statement, params)
        query_stats = {
            "totalBytesProcessed": str(cost.processed),
            "statementType": statement.kind.value,
        }
        if configuration.get("dryRun"):
            resource["status"] = {"state": State.DONE.value}
            resource["statistics"].update(
                totalBytesProcessed=str(cost.processed),
                query={**query_stats, "totalBytesProcessedAccuracy": "PRECISE"},
            )
            self._after_dry_run(configuration, cost)
            return _Plan(statement, params, cost, _nothing)
        limit = spec.get("maximumBytesBilled")
        if limit is not None and cost.billed > int(limit):
            refusal = ApiError(
                400,
                "bytesBilledLimitExceeded",
                f"Query exceeded limit for bytes billed: {limit}. {cost.billed} or higher required.",
            )
            return _Plan(statement, params, Cost(0, 0), _raise(refusal), refused=refusal)
        target = spec.get("destinationTable")
        if statement.kind is Kind.SELECT:
            if target is not None:
                return _Plan(
                    statement, params, cost, self._write_plan(spec, target, statement, params)
                )
            return _Plan(statement, params, cost, self._select_plan(statement, params))
        if statement.kind in {Kind.CREATE_TABLE, Kind.CREATE_TABLE_AS_SELECT}:
            return _Plan(statement, params, cost, self._create_plan(statement, params))
        if statement.kind is Kind.DROP_TABLE:
            return _Plan(statement, params, cost, self._drop_plan(statement))
        if statement.kind is Kind.ALTER_TABLE:
            return _Plan(statement, params, cost, self._alter_plan(statement))
        return _Plan(
            statement,
            params,
            cost,
            self._dml_plan(statement, params, spec.get("query", "")),
            dml_tables=(str(statement.target),),
        )

    def _plan_script(
        self, script: Script, configuration: Mapping[str, Any], resource: dict[str, Any]
    ) -> _Plan:
        """A script: its statements checked and billed as their own jobs would be (a DELETE
        or MERGE also reads its target: billed as the whole table, an upper bound), run as one
        job at commit (``script.py``)."""
        spec = configuration["query"]
        foreign = script.projects - {self.config.project}
        if foreign:
            raise not_found(f"Project {sorted(foreign)[0]}")
        params = parameters(spec.get("queryParameters") or [])
        missing = script.parameters - set(params)
        if missing:
            raise invalid(f"Query parameter '{sorted(missing)[0]}' not found", "invalidQuery")
        processed = billed = 0
        metas = []
        for statement in script.statements:
            assert statement.target is not None
            meta = self._existing(Destination(statement.target, None))
            metas.append(meta)
            for read in statement.reads:
                self._existing(Destination(read.name, None))
            cost = query_cost(self.storage, statement, params)
            processed, billed = processed + cost.processed, billed + cost.billed
            if statement.kind in {Kind.DELETE, Kind.MERGE, Kind.UPDATE}:
                scanned = self.storage.table_bytes(meta)[0]
                processed += scanned
                billed += max(MIN_BILLED_PER_TABLE, -(-scanned // 1024**2) * 1024**2)
        total = Cost(processed, billed)
        if configuration.get("dryRun"):
            resource["status"] = {"state": State.DONE.value}
            resource["statistics"].update(
                totalBytesProcessed=str(processed),
                query={"totalBytesProcessed": str(processed), "statementType": "SCRIPT"},
            )
            self._after_dry_run(configuration, total)
            return _Plan(None, params, total, _nothing)
        limit = spec.get("maximumBytesBilled")
        if limit is not None and billed > int(limit):
            refusal = ApiError(
                400,
                "bytesBilledLimitExceeded",
                f"Query exceeded limit for bytes billed: {limit}. {billed} or higher required.",
            )
            return _Plan(None, params, Cost(0, 0), _raise(refusal), refused=refusal)

        def compute() -> Commit:
            partitions = [
                self._dml_partitions(meta, text, params)
                for meta, text in zip(metas, script.texts, strict=True)
            ]

            def commit() -> Outcome:
                for meta, modified in zip(metas, partitions, strict=True):
                    self._admit(
                        meta.name,
                        partitioned=meta.partition_column is not None,
                        partitions=modified,
                        dml=True,
                    )
                steps = [
                    (meta, statement.duckdb, _used(statement, params))
                    for meta, statement in zip(metas, script.statements, strict=True)
                ]
                try:
                    affected = self.storage.script(steps, commit=script.commit)
                except duckdb.Error as exc:
                    raise engine_error(exc) from exc
                return Outcome(dml_affected=sum(affected), children=len(steps))

            return commit

        return _Plan(
            None,
            params,
            total,
            compute,
            dml_tables=tuple(dict.fromkeys(str(meta.name) for meta in metas)),
            steps=len(script.statements),
        )

    def _after_dry_run(self, configuration: Mapping[str, Any], cost: Cost) -> None:
        label = (configuration.get("labels") or {}).get("statement", "")
        with self._lock:
            self._stats.jobs["dry_run"] += 1
            self._stats.dry_run_bytes[label] += cost.processed
        # A dry run validates and estimates; it answers after a short round trip.
        self.clock.wait(threading.Event(), self.config.latency.dry_run_s)

    # -- what each job computes at its start and commits at its end -----------------------

    def _select_plan(self, statement: Statement, params: Mapping[str, Any]) -> _Compute:
        def compute() -> Commit:
            result = self._select(statement, params)
            return lambda: Outcome(result=result, fields=result_fields(result))

        return compute

    def _write_plan(
        self,
        spec: Mapping[str, Any],
        target: Mapping[str, str],
        statement: Statement,
        params: Mapping[str, Any],
    ) -> _Compute:
        where = destination(target, self.config.project)
        disposition = spec.get("writeDisposition") or "WRITE_EMPTY"
        create = spec.get("createDisposition") or "CREATE_IF_NEEDED"
        meta = self.storage.table(where.name)
        if meta is None and (create == "CREATE_NEVER" or where.day is not None):
            raise not_found(f"Table {self.config.project}:{where.name}")

        def compute() -> Commit:
            result = self._select(statement, params)
            fields = result_fields(result)

            def commit() -> Outcome:
                existing = self.storage.table(where.name)
                if existing is None:
                    self._admit(where.name, partitioned=False, partitions=1)
                    self.storage.create(
                        where.name,
                        None,
                        result,
                        partition_column=None,
                        clustering=(),
                        expiration_ms=None,
                    )
                    return Outcome(result=result, fields=fields, rows_written=result.num_rows)
                written = self._write(existing, where, result, fields, disposition)
                return Outcome(result=result, fields=fields, rows_written=written)

            return commit

        return compute

    def _create_plan(self, statement: Statement, params: Mapping[str, Any]) -> _Compute:
        assert statement.target is not None
        name = statement.target
        if name.dataset not in self.storage.datasets():
            raise not_found(f"Dataset {self.config.project}:{name.dataset}")

        def compute() -> Commit:
            result = (
                self._select(statement, params)
                if statement.kind is Kind.CREATE_TABLE_AS_SELECT
                else None
            )
            expiration = self._expiration_ms(statement)

            def commit() -> Outcome:
                if self.storage.table(name) is not None:
                    if statement.if_not_exists:
                        return Outcome(ddl_operation="SKIP")
                    raise ApiError(
                        409, "duplicate", f"Already Exists: Table {self.config.project}:{name}"
                    )
                self._admit(
                    name,
                    partitioned=statement.partition_column is not None,
                    partitions=_partitions(result, statement.partition_column, None),
                )
                try:
                    self.storage.create(
                        name,
                        statement.create_duckdb,
                        result,
                        partition_column=statement.partition_column,
                        clustering=statement.clustering,
                        expiration_ms=expiration,
                    )
                except duckdb.Error as exc:
                    raise engine_error(exc) from exc
                return Outcome(ddl_operation="CREATE")

            return commit

        return compute

    def _drop_plan(self, statement: Statement) -> _Compute:
        assert statement.target is not None
        name = statement.target

        def compute() -> Commit:
            def commit() -> Outcome:
                meta = self.storage.table(name)
                if meta is not None:
                    self.storage.delete(meta, None)
                return Outcome(ddl_operation="DROP" if meta else "SKIP")

            return commit

        return compute

    def _alter_plan(self, statement: Statement) -> _Compute:
        """ALTER TABLE ... ADD COLUMN: a change of the table's metadata, not DML (no DML slot,
        nothing read, nothing billed: "DDL statements don't incur charges"). The new columns are
        NULLABLE and come last; existing rows hold NULL in them; tables.get shows them at once
        (https://cloud.google.com/bigquery/docs/managing-table-schemas#add_an_empty_column).
        IF NOT EXISTS on a column skips that column; without it an existing name fails the job.
        At commit it is one table update and one metadata update (``quotas.py``).
        """
        assert statement.target is not None
        name = statement.target
        if not statement.if_exists:
            self._existing(Destination(name, None))

        def compute() -> Commit:
            def commit() -> Outcome:
                meta = self.storage.table(name)
                if meta is None:
                    if statement.if_exists:
                        return Outcome()
                    raise not_found(f"Table {self.config.project}:{name}")
                have = {f.name.lower() for f in meta.fields}
                added: dict[str, str] = {}
                for column in statement.added_columns:
                    if column.name.lower() in have:  # column names ignore case
                        if column.if_not_exists:
                            continue
                        raise invalid(
                            f"Column {column.name} already exists in table "
                            f"{self.config.project}:{name}"
                        )
                    have.add(column.name.lower())
                    added[column.name] = column.duckdb_type
                self._admit(name, partitioned=meta.partition_column is not None, partitions=0)
                self._metadata_updates.admit(str(name), partitioned=False)
                try:
                    self.storage.add_columns(meta, added)
                except duckdb.Error as exc:
                    raise engine_error(exc) from exc
                return Outcome()

            return commit

        return compute

    def _dml_plan(self, statement: Statement, params: Mapping[str, Any], text: str) -> _Compute:
        assert statement.target is not None
        meta = self._existing(Destination(statement.target, None))

        def compute() -> Commit:
            partitions = self._dml_partitions(meta, text, params)

            def commit() -> Outcome:
                self._admit(
                    meta.name,
                    partitioned=meta.partition_column is not None,
                    partitions=partitions,
                    dml=True,
                )
                try:
                    affected = self.storage.dml(meta, statement.duckdb, _used(statement, params))
                except duckdb.Error as exc:
                    raise engine_error(exc) from exc
                return Outcome(dml_affected=affected)

            return commit

        return compute

    def _dml_partitions(self, meta: TableMeta, text: str, params: Mapping[str, Any]) -> int:
        """Partitions a DML statement modifies, counted when it starts (quotas.py)."""
        if meta.partition_column is None:
            return 1
        count = dml_partitions_query(text, meta.partition_column, [f.name for f in meta.fields])
        if count is None:
            return 1
        statement = parse(count)
        return int(self._select(statement, params).column(0)[0].as_py() or 0)

    def _plan_copy(self, spec: Mapping[str, Any]) -> _Plan:
        sources = spec.get("sourceTables") or [spec.get("sourceTable")]
        if len(sources) != 1 or sources[0] is None:
            raise invalid("the simulator copies from exactly one source table", "notImplemented")
        source = destination(sources[0], self.config.project)
        target = destination(spec["destinationTable"], self.config.project)
        disposition = spec.get("writeDisposition") or "WRITE_EMPTY"
        create = spec.get("createDisposition") or "CREATE_IF_NEEDED"
        source_meta = self._existing(Destination(source.name, None))
        if self.storage.table(target.name) is None and (
            create == "CREATE_NEVER" or target.day is not None
        ):
            raise not_found(f"Table {self.config.project}:{target.name}")

        def compute() -> Commit:
            rows_ = self.storage.read_partition(source_meta, source.day)
            if source.day is not None and rows_.num_rows == 0:
                raise not_found(f"Table {self.config.project}:{source.name}${source.day:%Y%m%d}")

            def commit() -> Outcome:
                meta = self.storage.table(target.name)
                if meta is None:
                    raise not_found(f"Table {self.config.project}:{target.name}")
                written = self._write(meta, target, rows_, list(source_meta.fields), disposition)
                return Outcome(rows_written=written)

            return commit

        def spent() -> None:
            """A failed copy still counts against the target's daily modifications."""
            meta = self.storage.table(target.name)
            if meta is not None:
                self._daily.count(str(meta.name), meta.partition_column is not None, 1)

        return _Plan(None, {}, Cost(0, 0), compute, spent_when_failed=spent)

    # -- running a job --------------------------------------------------------------------

    def _run(self, job: SimJob, plan: _Plan) -> None:
        started = self.clock.now()
        with self._rng_lock:
            # A script's child jobs run one after the other.
            latency = sum(self.config.latency.draw(self._rng) for _ in range(plan.steps))
        latency = self.config.statement_latency_s.get(job.statement_label or "", latency)
        entered = False
        try:
            if plan.refused is not None:
                raise plan.refused
            if job.is_query:
                self._queries.enter(job.cancelled)
                entered = True
            entered_dml = []
            for table in plan.dml_tables:
                self._dml.enter(table, job.cancelled)
                entered_dml.append(table)
            try:
                job.set_status(State.RUNNING, startTime=epoch_ms())
                began = self.clock.now()
                engine_started = time.perf_counter()
                try:
                    commit = plan.compute()
                finally:
                    overrun = max(0.0, self.clock.now() - began - latency)
                    with self._lock:
                        self._stats.engine_s += time.perf_counter() - engine_started
                        self._stats.latency_s += latency
                        self._stats.overrun_s += overrun
                limit_s = job_timeout_s(job.resource["configuration"])
                if self.clock.wait(
                    job.cancelled, min(latency, limit_s) - (self.clock.now() - began)
                ):
                    raise ApiError(400, "stopped", CANCELLED)
                if latency > limit_s:
                    raise job_timed_out(limit_s)
                fault = self.faults.pick(job.statement_label)
                if fault is not None:
                    raise ApiError(fault.status, fault.value, fault.message)
                outcome = commit()
            finally:
                for table in entered_dml:
                    self._dml.leave(table)
            self._finish(job, plan, outcome, started)
        except ApiError as error:
            self._fail(job, error, plan)
        except duckdb.Error as exc:
            self._fail(job, engine_error(exc), plan)
        except Exception as exc:  # noqa: BLE001 - a simulator bug still ends the job, visibly
            # notImplemented, not internalError: the client must not retry a bug for 10 minutes.
            self._fail(job, ApiError(501, "notImplemented", f"simulator bug: {exc!r}"))
        finally:
            if entered:
                self._queries.leave()
            job.done.set()

    def _finish(self, job: SimJob, plan: _Plan, outcome: Outcome, started: float) -> None:
        slot_ms = round((self.clock.now() - started) * 1000)
        job.outcome = outcome
        stats: dict[str, Any] = {"endTime": epoch_ms(), "totalSlotMs": str(slot_ms)}
        if job.is_query:
            query: dict[str, Any] = {
                "totalBytesProcessed": str(plan.cost.processed),
                "totalBytesBilled": str(plan.cost.billed),
                "totalSlotMs": str(slot_ms),
                "statementType": plan.statement.kind.value if plan.statement else "SCRIPT",
                "cacheHit": False,
            }
            if outcome.children:
                stats["numChildJobs"] = str(outcome.children)
            if outcome.dml_affected is not None:
                query["numDmlAffectedRows"] = str(outcome.dml_affected)
            if outcome.ddl_operation is not None:
                query["ddlOperationPerformed"] = outcome.ddl_operation
            stats.update(totalBytesProcessed=str(plan.cost.processed), query=query)
        else:
            stats["copy"] = {"copiedRows": str(outcome.rows_written or 0)}
        job.set_status(State.DONE, **stats)
        with self._lock:
            label = job.statement_label or ""
            self._stats.bytes_processed[label] += plan.cost.processed
            self._stats.bytes_billed[label] += plan.cost.billed
            self._stats.slot_ms += slot_ms
            self._stats.jobs["child"] += outcome.children

    def _fail(self, job: SimJob, error: ApiError, plan: _Plan | None = None) -> None:
        if plan is not None and plan.spent_when_failed is not None:
            plan.spent_when_failed()
        job.set_status(State.DONE, error, endTime=epoch_ms())
        with self._lock:
            self._stats.errors[error.reason] += 1

    def _admit(
        self, name: TableName, *, partitioned: bool, partitions: int = 1, dml: bool = False
    ) -> None:
        """One table update of ``name`` modifying ``partitions`` (0: metadata only), checked
        against the limits of quotas.py in the order BigQuery states them for a job."""
        limit = self.config.limits.partitions_per_job
        if partitions > limit:
            raise too_many_partitions(str(name), partitions, limit)
        self._updates.admit(str(name), partitioned)
        if dml:
            self._dml_statements.admit(str(name), partitioned)
        self._daily.admit(str(name), partitioned, partitions)
        with self._lock:
            self._stats.table_updates[str(name)] += 1

    def _write(
        self,
        meta: TableMeta,
        where: Destination,
        rows: pa.Table,
        fields: list[Field],
        disposition: str,
    ) -> int:
        """A query's or a copy's rows into an existing table (or one partition of it), after
        the checks and the quotas that write meets; the rows written."""
        check_write(meta, where.day, fields, self.config.project)
        if where.day is not None:
            check_partition(meta, where.day, rows)
        self._check_empty(meta, where.day, disposition)
        self._admit(
            where.name,
            partitioned=meta.partition_column is not None,
            partitions=_partitions(rows, meta.partition_column, where.day),
        )
        return self.storage.replace(meta, where.day, rows, append=disposition == "WRITE_APPEND")

    def _check_empty(self, meta: TableMeta, day: date | None, disposition: str) -> None:
        if disposition != "WRITE_EMPTY":
            return
        has_rows = (
            self.storage.partition_rows(meta, day) > 0
            if day is not None
            else self.storage.table_bytes(meta)[0] > 0
        )
        if has_rows:
            raise ApiError(
                409, "duplicate", f"Already Exists: Table {self.config.project}:{meta.name}"
            )

    def _select(self, statement: Statement, params: Mapping[str, Any]) -> pa.Table:
        try:
            return self.storage.select(statement.duckdb, _used(statement, params))
        except duckdb.Error as exc:
            raise engine_error(exc) from exc

    def _expiration_ms(self, statement: Statement) -> int | None:
        if statement.expiration_sql is None:
            return None
        moment = self.storage.value(statement.expiration_sql)
        return int(moment.timestamp() * 1000) if moment is not None else None

    # -- jobs.get / cancel / getQueryResults ----------------------------------------------

    def _job(self, job_id: str) -> SimJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found(f"Job {self.config.project}:{self.config.location}.{job_id}")
        return job

    def _cancel(self, job_id: str) -> dict[str, Any]:
        job = self._job(job_id)
        job.cancelled.set()
        return {"kind": "bigquery#jobCancelResponse", "job": job.snapshot()}

    def _query_results(self, job_id: str, query: Mapping[str, Any]) -> dict[str, Any]:
        """Waits up to timeoutMs for the job; a failed job is answered with its error as an
        HTTP error (google-cloud-bigquery retry.py: "the jobs.getQueryResults REST API
        translates a job failure into an HTTP error")."""
        job = self._job(job_id)
        timeout_ms = float(query.get("timeoutMs", DEFAULT_RESULTS_TIMEOUT_MS))
        self.clock.wait(job.done, timeout_ms / 1000)
        response: dict[str, Any] = {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": job.resource["jobReference"],
            "jobComplete": job.done.is_set(),
        }
        if not job.done.is_set():
            return response
        if job.error is not None:
            raise job.error
        outcome = job.outcome
        statistics = job.resource.get("statistics", {})
        response["totalBytesProcessed"] = statistics.get("totalBytesProcessed", "0")
        response["cacheHit"] = False
        if outcome.dml_affected is not None:
            response["numDmlAffectedRows"] = str(outcome.dml_affected)
        if outcome.result is None or outcome.fields is None:
            return response
        response["schema"] = {"fields": [f.to_api() for f in outcome.fields]}
        response["totalRows"] = str(outcome.result.num_rows)
        start = int(query.get("pageToken") or query.get("startIndex") or 0)
        limit = query.get("maxResults")
        count = outcome.result.num_rows - start if limit is None else int(limit)
        if count > 0:
            page = outcome.result.slice(start, count)
            names = [f.name for f in outcome.fields]
            int64 = str(query.get("formatOptions.useInt64Timestamp", "")).lower() == "true"
            response["rows"] = rows(page.to_pylist(), names, int64)
            if start + page.num_rows < outcome.result.num_rows:
                response["pageToken"] = str(start + page.num_rows)
        return response

    # -- datasets and tables --------------------------------------------------------------

    def _dataset(self, dataset: str) -> dict[str, Any]:
        if dataset not in self.storage.datasets():
            raise not_found(f"Dataset {self.config.project}:{dataset}")
        return {
            "kind": "bigquery#dataset",
            "id": f"{self.config.project}:{dataset}",
            "datasetReference": {"projectId": self.config.project, "datasetId": dataset},
            "location": self.config.location,
        }

    def _existing(self, where: Destination) -> TableMeta:
        meta = self.storage.table(where.name)
        if meta is None:
            if where.name.dataset not in self.storage.datasets():
                raise not_found(
                    f"Dataset {self.config.project}:{where.name.dataset} was not found in "
                    f"location {self.config.location}"
                )
            raise not_found(
                f"Table {self.config.project}:{where.name} was not found in location "
                f"{self.config.location}"
            )
        return meta

    def _table_resource(self, meta: TableMeta) -> dict[str, Any]:
        rows_, size = self.storage.table_bytes(meta)
        resource: dict[str, Any] = {
            "kind": "bigquery#table",
            "id": f"{self.config.project}:{meta.name}",
            "tableReference": {
                "projectId": self.config.project,
                "datasetId": meta.name.dataset,
                "tableId": meta.name.table,
            },
            "schema": {"fields": [f.to_api() for f in meta.fields]},
            "numRows": str(rows_),
            "numBytes": str(size),
            "type": "TABLE",
            "location": self.config.location,
        }
        if meta.partition_column:
            resource["timePartitioning"] = {"type": "DAY", "field": meta.partition_column}
        if meta.clustering:
            resource["clustering"] = {"fields": list(meta.clustering)}
        if meta.expiration_ms is not None:
            resource["expirationTime"] = str(meta.expiration_ms)
        return resource

    def _insert_table(self, dataset: str, body: Mapping[str, Any]) -> dict[str, Any]:
        reference = body.get("tableReference") or {}
        name = TableName(dataset, reference.get("tableId", ""))
        if dataset not in self.storage.datasets():
            raise not_found(f"Dataset {self.config.project}:{dataset}")
        if self.storage.table(name) is not None:
            raise ApiError(409, "duplicate", f"Already Exists: Table {self.config.project}:{name}")
        columns = []
        for spec in (body.get("schema") or {}).get("fields", []):
            kind = _DUCKDB_TYPES.get(spec.get("type", "STRING").upper())
            if kind is None or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", spec.get("name", "")):
                raise invalid(f"the simulator cannot create field {spec!r}")
            required = " NOT NULL" if spec.get("mode") == "REQUIRED" else ""
            columns.append(f'"{spec["name"]}" {kind}{required}')
        ddl = f'CREATE TABLE "{name.dataset}"."{name.table}" ({", ".join(columns)})'
        partitioning = (body.get("timePartitioning") or {}).get("field")
        clustering = tuple((body.get("clustering") or {}).get("fields", ()))
        self._admit(name, partitioned=partitioning is not None, partitions=0)
        meta = self.storage.create(
            name,
            ddl,
            None,
            partition_column=partitioning,
            clustering=clustering,
            expiration_ms=None,
        )
        return self._table_resource(meta)

    def _delete_table(self, dataset: str, table_id: str) -> dict[str, Any]:
        where = destination(
            {"projectId": self.config.project, "datasetId": dataset, "tableId": table_id},
            self.config.project,
        )
        meta = self._existing(Destination(where.name, None))
        if where.day is not None and meta.partition_column is None:
            raise invalid(f"Table {meta.name} is not partitioned")
        try:
            self._admit(
                meta.name,
                partitioned=meta.partition_column is not None,
                partitions=1 if where.day is not None else 0,
            )
        except ApiError as error:
            with self._lock:
                self._stats.errors[error.reason] += 1
            raise
        self.storage.delete(meta, where.day)
        return {}

    def _test_permissions(self, rest: list[str], data: Mapping[str, Any]) -> dict[str, Any]:
        """tables.testIamPermissions: the requested permissions the caller holds (an empty list
        when it holds none), https://cloud.google.com/bigquery/docs/reference/rest/v2/tables/testIamPermissions."""
        if len(rest) != 4 or rest[0] != "datasets" or rest[2] != "tables":
            raise invalid(f"testIamPermissions on {'/'.join(rest)}")
        self._existing(Destination(TableName(rest[1], rest[3].removesuffix(_TEST_IAM)), None))
        asked = data.get("permissions") or []
        return {"permissions": [p for p in asked if p not in self.config.denied_permissions]}

    def _draw_id(self) -> str:
        with self._rng_lock:
            return f"{self._rng.getrandbits(64):016x}"


# Runs at the job's start (DuckDB computes the result), returns what runs at its commit.
_Compute = Callable[[], Commit]


@dataclass(frozen=True)
class _Plan:
    statement: Statement | None
    params: Mapping[str, Any]
    cost: Cost
    compute: _Compute
    # Tables whose DML slot the job holds while it runs.
    dml_tables: tuple[str, ...] = ()
    refused: ApiError | None = None
    # What a job that failed still spends of the quotas (a copy's modification).
    spent_when_failed: Callable[[], None] | None = None
    # Statements run one after the other (a script's child jobs), each with its own latency.
    steps: int = 1


_TEST_IAM = ":testIamPermissions"
_ROUTE_KEYS = {
    "jobs": "jobs",
    "queries": "queries",
    "datasets": "datasets",
    "tables": "tables",
    "cancel": "cancel",
}

_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INTEGER": "BIGINT",
    "INT64": "BIGINT",
    "FLOAT": "DOUBLE",
    "FLOAT64": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "NUMERIC": "DECIMAL(38, 9)",
}


def _used(statement: Statement, params: Mapping[str, Any]) -> dict[str, Any]:
    """DuckDB refuses parameters a statement does not use."""
    return {name: value for name, value in params.items() if name in statement.parameters}


def _partitions(rows: pa.Table | None, column: str | None, day: date | None) -> int:
    """Partitions a write of ``rows`` modifies: one through a decorator or into a table that
    is not partitioned, else one per distinct value of the partition column (NULL included)."""
    if day is not None or column is None:
        return 1
    if rows is None:
        return 0
    names = {name.lower(): name for name in rows.column_names}
    if column.lower() not in names:
        return 1
    return len(pc.unique(rows[names[column.lower()]]))


def _nothing() -> Commit:
    return Outcome


def _raise(error: ApiError) -> _Compute:
    def compute() -> Commit:
        raise error

    return compute


def _check_labels(labels: Mapping[str, Any]) -> None:
    if len(labels) > _MAX_LABELS:
        raise invalid(f"Too many labels: {len(labels)} (at most {_MAX_LABELS})")
    for key, value in labels.items():
        if not _LABEL_KEY.match(str(key)):
            raise invalid(f"Label key {key!r} has invalid characters")
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            raise invalid(f"Label value {value!r} of key {key!r} has invalid characters")
