"""The BigQuery adapter against the real google-cloud-bigquery Client, transport mocked.

Only ``client._connection.api_request`` is replaced (as the library's own unit tests
do), so these tests check the REST payloads the real client sends: destinations,
dispositions, typed parameters, labels, job id prefixes, byte caps and dry runs.
No test touches the network.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import google.auth
import pytest
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from backfill_jobs.analytics.player_game_summary.processor import DATASETS
from shared.errors import ConfigError, WarehouseError
from shared.warehouse.base import PartitionedTable
from shared.warehouse.bigquery_config import DEFAULT_MAXIMUM_BYTES_BILLED
from shared.warehouse.bigquery_errors import NO_CREDENTIALS, classify, is_transient
from shared.warehouse.bigquery_params import query_parameters
from shared.warehouse.bigquery_warehouse import BigQueryWarehouse
from shared.warehouse.pricing import ON_DEMAND_USD_PER_TIB, PRICE_ENV, estimate_cost_usd
from shared.warehouse.sql import Sql

PROJECT = "test-project"
ROOT = Path(__file__).resolve().parents[1]
TARGET_DDL = Sql.from_file(
    ROOT / "backfill_jobs/analytics/player_game_summary/sql/create_player_game_summary.sql"
)
TARGET = PartitionedTable("nba_analytics.player_game_summary", "game_date", TARGET_DDL)
SELECT = Sql(
    "player_game_summary",
    "-- the day's rows\nSELECT * FROM nba_raw.nbac_gamebook_player_stats\n"
    "WHERE game_date BETWEEN @start_date AND @end_date\n",
)
JAN1, JAN2, JAN3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
NULLABLE_SCHEMA = [{"name": "player_lookup", "type": "STRING", "mode": "NULLABLE"}]
REQUIRED_SCHEMA = [{"name": "player_lookup", "type": "STRING", "mode": "REQUIRED"}]

Result = tuple[list[dict[str, str]], list[list[Any]]] | None


class FakeBigQuery:
    """The REST side of BigQuery, routed by method and path; records every request.

    ``results(query_text)`` gives a query's (schema fields, rows) or None for a DDL;
    ``failures`` maps a substring of a query to the errorResult its job ends with.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.datasets: dict[str, str] = {"nba_raw": "US", "nba_analytics": "US"}
        self.tables: dict[str, list[dict[str, str]]] = {
            "nba_analytics.player_game_summary": NULLABLE_SCHEMA
        }
        self.results: Callable[[str], Result] = lambda query: ([], [])
        self.failures: dict[str, dict[str, str]] = {}
        self.fail_once: dict[str, dict[str, str]] = {}
        self.hold_jobs = False
        self.polling = threading.Event()
        self.cancelled = threading.Event()
        self.lock = threading.Lock()

    def api_request(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        query_params: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        with self.lock:
            self.requests.append((method, path, copy.deepcopy(data), query_params))
        parts = path.strip("/").split("/")
        if method == "POST" and parts[-1] == "jobs":
            return self._insert(data or {})
        if method == "POST" and parts[-1] == "cancel":
            self.cancelled.set()
            job = self.jobs[parts[-2]]
            job["status"] = {
                "state": "DONE",
                "errorResult": {"reason": "stopped", "message": "Job execution was cancelled"},
            }
            return {"job": job}
        if method == "GET" and parts[-2] == "jobs":
            return self.jobs[parts[-1]]
        if method == "GET" and parts[-2] == "queries":
            return self._query_results(parts[-1], query_params or {})
        if method == "GET" and parts[-2] == "datasets":
            if parts[-1] not in self.datasets:
                raise api_exceptions.NotFound(f"Not found: Dataset {PROJECT}:{parts[-1]}")
            return {
                "datasetReference": {"projectId": PROJECT, "datasetId": parts[-1]},
                "location": self.datasets[parts[-1]],
            }
        if method == "GET" and parts[-2] == "tables":
            name = f"{parts[-3]}.{parts[-1]}"
            if name not in self.tables:
                raise api_exceptions.NotFound(f"Not found: Table {PROJECT}:{name}")
            reference = {"projectId": PROJECT, "datasetId": parts[-3], "tableId": parts[-1]}
            return {"tableReference": reference, "schema": {"fields": self.tables[name]}}
        if method == "DELETE" and parts[-2] == "tables":
            return {}
        raise AssertionError(f"unexpected request {method} {path}")

    def _insert(self, data: dict[str, Any]) -> dict[str, Any]:
        job = copy.deepcopy(data)
        query = data["configuration"].get("query", {}).get("query", "")
        error = next((err for text, err in self.failures.items() if text in query), None)
        once = next((text for text in self.fail_once if text in query), None)
        if once is not None:
            error = self.fail_once.pop(once)
        if data["configuration"].get("dryRun"):
            job["status"] = {"state": "DONE"}
            job["statistics"] = {"query": {"totalBytesProcessed": "123456789"}}
        elif error is not None:
            job["status"] = {"state": "DONE", "errorResult": error, "errors": [error]}
        else:
            job["status"] = {"state": "RUNNING" if self.hold_jobs else "DONE"}
            job["statistics"] = {"query": {"totalBytesBilled": "10485760"}}
        self.jobs[job["jobReference"]["jobId"]] = job
        return job

    def _query_results(self, job_id: str, params: dict[str, Any]) -> dict[str, Any]:
        job = self.jobs[job_id]
        if job["status"]["state"] != "DONE":
            self.polling.set()
            self.cancelled.wait(5)
            return {"jobReference": job["jobReference"], "jobComplete": False}
        response: dict[str, Any] = {"jobReference": job["jobReference"], "jobComplete": True}
        result = self.results(job["configuration"]["query"]["query"])
        if result is not None:
            fields, rows = result
            response["schema"] = {"fields": fields}
            response["totalRows"] = str(len(rows))
            if params.get("maxResults") != 0:
                response["rows"] = [{"f": [{"v": value} for value in row]} for row in rows]
        return response

    # -- views on the recorded requests ----------------------------------------------

    def inserted(self, kind: str) -> list[dict[str, Any]]:
        return [
            data
            for method, path, data, _ in self.requests
            if method == "POST" and path.endswith("/jobs") and kind in (data or {})["configuration"]
        ]

    def assert_no_dml(self) -> None:
        for job in self.inserted("query"):
            text = job["configuration"]["query"]["query"].upper()
            assert not re.search(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", text), text

    def deleted(self) -> list[str]:
        return [path.rsplit("/", 1)[-1] for method, path, *_ in self.requests if method == "DELETE"]

    def posted(self) -> list[str]:
        return [path for method, path, *_ in self.requests if method == "POST"]


@pytest.fixture()
def fake() -> FakeBigQuery:
    return FakeBigQuery()


def make_warehouse(fake: FakeBigQuery, **kwargs: Any) -> BigQueryWarehouse:
    def factory(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        client = bigquery.Client(project=project, credentials=credentials, location=location)
        connection = mock.Mock()
        connection.api_request.side_effect = fake.api_request
        client._connection = connection
        return client

    options: dict[str, Any] = {
        "project": PROJECT,
        "location": "US",
        "job_name": "player_game_summary",
        "dataset_flags": {dataset.name: dataset.flag for dataset in DATASETS},
        "credentials": AnonymousCredentials(),
        "client_factory": factory,
    }
    options.update(kwargs)
    return BigQueryWarehouse(**options)


def count_rows(counts: dict[date, int]) -> Callable[[str], Result]:
    """Results: the staging comparison answers ``counts`` (nothing in the target to shrink);
    a DDL answers nothing."""

    def results(query: str) -> Result:
        if query.startswith("WITH new AS (SELECT `game_date` AS day"):
            fields = [
                {"name": "day", "type": "DATE"},
                {"name": "unit", "type": "STRING"},
                {"name": "after", "type": "INTEGER"},
                {"name": "before", "type": "INTEGER"},
            ]
            return fields, [[d.isoformat(), d.isoformat(), str(n), "0"] for d, n in counts.items()]
        if query.startswith("CREATE"):
            return None
        return [{"name": "x", "type": "INTEGER"}], []

    return results


RANGE_1 = {"start_date": JAN1, "end_date": JAN1}
RANGE_3 = {"start_date": JAN1, "end_date": JAN3}


# -- one day ----------------------------------------------------------------------------


def test_one_day_is_one_query_job_truncating_the_days_partition(fake: FakeBigQuery) -> None:
    fake.results = lambda query: ([{"name": "x", "type": "INTEGER"}], [["1"]] * 7)
    warehouse = make_warehouse(fake)

    assert warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1]).rows == 7

    [job] = fake.inserted("query")
    config = job["configuration"]["query"]
    assert config["destinationTable"] == {
        "projectId": PROJECT,
        "datasetId": "nba_analytics",
        "tableId": "player_game_summary$20240101",
    }
    assert config["writeDisposition"] == "WRITE_TRUNCATE"
    assert config["createDisposition"] == "CREATE_NEVER"
    assert config["query"] == SELECT.text  # untranspiled, as checked in
    assert "2024-01-01" not in config["query"]
    assert config["useLegacySql"] is False
    assert config["maximumBytesBilled"] == str(DEFAULT_MAXIMUM_BYTES_BILLED)
    assert config["queryParameters"] == [
        {
            "name": name,
            "parameterType": {"type": "DATE"},
            "parameterValue": {"value": "2024-01-01"},
        }
        for name in ("start_date", "end_date")
    ]
    assert job["configuration"]["labels"] == {
        "job": "player_game_summary",
        "statement": "player_game_summary",
        "day": "20240101",
    }
    assert job["jobReference"]["jobId"].startswith("player_game_summary_20240101_")
    assert job["jobReference"]["location"] == "US"
    assert not fake.inserted("copy")
    assert not fake.deleted()
    fake.assert_no_dml()


def test_one_day_without_rows_deletes_the_partition(fake: FakeBigQuery) -> None:
    fake.results = lambda query: ([{"name": "x", "type": "INTEGER"}], [])
    warehouse = make_warehouse(fake)

    assert warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1]).rows == 0

    assert fake.deleted() == ["player_game_summary$20240101"]


def test_a_target_with_required_columns_goes_through_staging(fake: FakeBigQuery) -> None:
    fake.tables["nba_analytics.player_game_summary"] = REQUIRED_SCHEMA
    fake.results = count_rows({JAN1: 5})
    warehouse = make_warehouse(fake)

    assert warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1]).rows == 5

    [copy_job] = fake.inserted("copy")
    destination = copy_job["configuration"]["copy"]["destinationTable"]
    assert destination["tableId"] == "player_game_summary$20240101"


# -- several days -----------------------------------------------------------------------


def test_three_days_stage_once_then_copy_each_days_partition(fake: FakeBigQuery) -> None:
    fake.results = count_rows({JAN1: 4, JAN3: 6})  # Jan 2 has no game
    warehouse = make_warehouse(fake)

    assert warehouse.replace_partitions(TARGET, SELECT, RANGE_3, [JAN1, JAN2, JAN3]).rows == 10

    ctas, counting = fake.inserted("query")
    ddl = ctas["configuration"]["query"]
    staging = re.search(r"`(player_game_summary__staging_20240101_\w+)`", ddl["query"])
    assert staging is not None
    staging_id = staging.group(1)
    assert ddl["query"].startswith(f"CREATE TABLE `{PROJECT}`.`nba_analytics`.`{staging_id}` (")
    assert "player_lookup STRING," in ddl["query"]
    assert "PARTITION BY game_date CLUSTER BY player_lookup, team_abbr" in ddl["query"]
    assert "OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP()" in ddl["query"]
    assert SELECT.text.strip() in ddl["query"]
    assert "2024-01-0" not in ddl["query"]  # the days travel as parameters
    assert "destinationTable" not in ddl
    values = [p["parameterValue"]["value"] for p in ddl["queryParameters"]]
    assert values == ["2024-01-01", "2024-01-03"]
    assert staging_id in counting["configuration"]["query"]["query"]

    copies = [job["configuration"]["copy"] for job in fake.inserted("copy")]
    pairs = [(c["sourceTables"][0]["tableId"], c["destinationTable"]["tableId"]) for c in copies]
    assert pairs == [
        (f"{staging_id}$20240101", "player_game_summary$20240101"),
        (f"{staging_id}$20240103", "player_game_summary$20240103"),
    ]
    assert {c["writeDisposition"] for c in copies} == {"WRITE_TRUNCATE"}
    assert {c["createDisposition"] for c in copies} == {"CREATE_NEVER"}
    assert fake.deleted() == ["player_game_summary$20240102", staging_id]
    fake.assert_no_dml()

    for job in fake.inserted("query") + fake.inserted("copy"):
        assert job["jobReference"]["jobId"].startswith("player_game_summary_20240101_")
        assert job["configuration"]["labels"]["day"] == "20240101"
    for job in fake.inserted("query"):
        config = job["configuration"]["query"]
        assert config["maximumBytesBilled"] == str(DEFAULT_MAXIMUM_BYTES_BILLED)


def test_staging_is_dropped_when_a_copy_fails(fake: FakeBigQuery) -> None:
    fake.results = count_rows({JAN1: 1, JAN2: 1})
    warehouse = make_warehouse(fake)
    original = fake._insert

    def failing_copies(data: dict[str, Any]) -> dict[str, Any]:
        if "copy" in data["configuration"]:
            raise api_exceptions.BadRequest("copy refused", errors=[{"reason": "invalid"}])
        return original(data)

    fake._insert = failing_copies  # type: ignore[method-assign]

    with pytest.raises(WarehouseError, match="copy refused") as raised:
        warehouse.replace_partitions(TARGET, SELECT, RANGE_3, [JAN1, JAN2])

    assert not raised.value.transient
    assert any(name.startswith("player_game_summary__staging_") for name in fake.deleted())


def test_rows_outside_the_batch_are_refused(fake: FakeBigQuery) -> None:
    fake.results = count_rows({JAN1: 1, date(2023, 12, 31): 2})
    warehouse = make_warehouse(fake)

    with pytest.raises(WarehouseError, match="outside the batch: 2023-12-31"):
        warehouse.replace_partitions(TARGET, SELECT, RANGE_3, [JAN1, JAN2])

    assert not fake.inserted("copy")


# -- reads, estimates, renaming ---------------------------------------------------------


def test_query_returns_rows_as_dicts_with_typed_values(fake: FakeBigQuery) -> None:
    fields = [{"name": "game_date", "type": "DATE"}, {"name": "row_count", "type": "INTEGER"}]
    fake.results = lambda query: (fields, [["2024-01-01", "3"]])
    warehouse = make_warehouse(fake)

    rows = warehouse.query(Sql("day_stats", "SELECT 1"), RANGE_3)

    assert rows == [{"game_date": JAN1, "row_count": 3}]
    [job] = fake.inserted("query")
    assert job["jobReference"]["jobId"].startswith("player_game_summary_20240101_")
    assert "destinationTable" not in job["configuration"]["query"]


def test_estimate_bytes_is_a_free_uncached_dry_run(fake: FakeBigQuery) -> None:
    warehouse = make_warehouse(fake, maximum_bytes_billed=5_000_000)

    assert warehouse.estimate_bytes(SELECT, RANGE_1) == 123456789

    [job] = fake.inserted("query")
    assert job["configuration"]["dryRun"] is True
    assert job["configuration"]["query"]["useQueryCache"] is False
    assert job["configuration"]["query"]["maximumBytesBilled"] == "5000000"


def test_renamed_datasets_rewrite_table_qualifiers(fake: FakeBigQuery) -> None:
    fake.datasets["scratch_1"] = "US"
    fake.tables = {"scratch_1.player_game_summary": NULLABLE_SCHEMA}
    fake.results = lambda query: ([{"name": "x", "type": "INTEGER"}], [["1"]])
    renamed = {"nba_raw": "scratch_1", "nba_analytics": "scratch_1"}
    warehouse = make_warehouse(fake, datasets=renamed)

    warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1])
    warehouse.execute(TARGET_DDL)

    write, ddl = (job["configuration"]["query"] for job in fake.inserted("query"))
    assert "scratch_1.nbac_gamebook_player_stats" in write["query"]
    assert "nba_raw" not in write["query"]
    assert write["destinationTable"]["datasetId"] == "scratch_1"
    assert "CREATE TABLE IF NOT EXISTS scratch_1.player_game_summary" in ddl["query"]


def test_parameters_are_typed_from_python_values() -> None:
    moment = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    parameters = query_parameters(
        {"d": JAN1, "n": 3, "x": 0.5, "s": "a", "b": True, "t": moment, "days": [JAN1, JAN2]}
    )
    reprs = {parameter.name: parameter.to_api_repr()["parameterType"] for parameter in parameters}
    assert reprs == {
        "d": {"type": "DATE"},
        "n": {"type": "INT64"},
        "x": {"type": "FLOAT64"},
        "s": {"type": "STRING"},
        "b": {"type": "BOOL"},
        "t": {"type": "TIMESTAMP"},
        "days": {"type": "ARRAY", "arrayType": {"type": "DATE"}},
    }
    with pytest.raises(TypeError, match="empty list"):
        query_parameters({"days": []})
    with pytest.raises(TypeError, match="no BigQuery type"):
        query_parameters({"x": None})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"project": "Test_Project"}, "--project"),
        ({"project": "abc"}, "--project"),
        ({"project": "p; DROP TABLE x"}, "--project"),
        ({"datasets": {"nba_raw": "raw-data"}}, "--raw-dataset"),
        ({"datasets": {"nba_analytics": "a.b"}}, "--analytics-dataset"),
        ({"datasets": {"nba_other": "x"}}, "unknown dataset"),
        ({"location": "US; x"}, "--location"),
        ({"job_name": "bad name"}, "job name"),
        ({"maximum_bytes_billed": 0}, "--max-bytes-billed"),
    ],
)
def test_invalid_identifiers_are_refused(
    fake: FakeBigQuery, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        make_warehouse(fake, **kwargs)
    assert "\n" not in str(raised.value)


def test_legacy_domain_project_ids_are_accepted(fake: FakeBigQuery) -> None:
    warehouse = make_warehouse(fake, project="example.com:my-project")
    assert warehouse.project == "example.com:my-project"


# -- errors -----------------------------------------------------------------------------


def api_error(
    kind: type[api_exceptions.GoogleAPICallError], reason: str, message: str = "m"
) -> Exception:
    return kind(message, errors=[{"reason": reason, "message": message}])


TABLE_UPDATES = "Exceeded rate limits: too many partitioned table update operations for this table"


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (api_error(api_exceptions.Forbidden, "rateLimitExceeded", TABLE_UPDATES), True),
        (api_error(api_exceptions.TooManyRequests, "jobRateLimitExceeded"), True),
        (api_error(api_exceptions.InternalServerError, "backendError"), True),
        (api_error(api_exceptions.InternalServerError, "internalError"), True),
        (api_exceptions.ServiceUnavailable("unavailable"), True),
        (api_exceptions.RetryError("deadline", cause=api_exceptions.ServiceUnavailable("x")), True),
        (api_error(api_exceptions.BadRequest, "invalidQuery", "Could not serialize access"), False),
        (api_error(api_exceptions.BadRequest, "resourcesExceeded", "Too many DML"), False),
        (api_error(api_exceptions.BadRequest, "bytesBilledLimitExceeded"), False),
        (api_error(api_exceptions.InternalServerError, "invalidQuery"), False),
        (api_error(api_exceptions.InternalServerError, "someNewReason"), True),
        (api_error(api_exceptions.BadRequest, "someNewReason"), False),
    ],
)
def test_transient_reasons(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
    classified = classify(error, "stmt")
    assert isinstance(classified, WarehouseError)
    assert classified.transient is transient
    assert not classified.stop_run


def test_quota_exceeded_stops_the_run() -> None:
    error = api_error(api_exceptions.Forbidden, "quotaExceeded", "Quota exceeded")
    classified = classify(error, "stmt")
    assert isinstance(classified, WarehouseError)
    assert classified.stop_run and not classified.transient
    assert str(classified).startswith(
        "BigQuery quota exceeded: wait at least 10 minutes before resuming, or lower --workers"
    )


def test_bytes_billed_limit_points_at_partition_pruning() -> None:
    error = api_error(api_exceptions.BadRequest, "bytesBilledLimitExceeded", "Query exceeded limit")
    assert "query would scan more than --max-bytes-billed" in str(classify(error, "stmt"))
    assert "check partition pruning" in str(classify(error, "stmt"))


def test_config_problems_are_one_line_config_errors() -> None:
    flags = {"nba_raw": "--raw-dataset"}
    dataset_error = api_exceptions.NotFound("Not found: Dataset test-project:nba_raw")
    missing_dataset = classify(dataset_error, "s", dataset_flags=flags)
    missing_project = classify(api_exceptions.NotFound("Not found: Project nope-project"), "s")
    denied_error = api_error(
        api_exceptions.Forbidden,
        "accessDenied",
        "User does not have bigquery.jobs.create permission in project p.",
    )
    denied = classify(denied_error, "s")
    no_credentials = classify(auth_exceptions.DefaultCredentialsError("secret-free"), "s")
    refused = classify(auth_exceptions.RefreshError("invalid_grant"), "s")

    assert isinstance(missing_dataset, ConfigError) and "--raw-dataset" in str(missing_dataset)
    assert isinstance(missing_project, ConfigError) and "--project" in str(missing_project)
    assert isinstance(denied, ConfigError) and "roles/bigquery.jobUser" in str(denied)
    assert str(no_credentials) == NO_CREDENTIALS
    assert isinstance(refused, ConfigError)
    assert "gcloud auth application-default login" in str(refused)
    for error in (missing_dataset, missing_project, denied, no_credentials, refused):
        assert "\n" not in str(error)


def test_a_missing_table_stays_a_warehouse_error_for_the_job_to_handle() -> None:
    missing = api_exceptions.NotFound("Not found: Table test-project:nba_raw.nbac_schedule")
    error = classify(missing, "s")
    assert isinstance(error, WarehouseError) and not error.transient
    assert "Not found: Table test-project:nba_raw.nbac_schedule" in str(error)


def test_a_failed_job_is_mapped_by_its_reason(fake: FakeBigQuery) -> None:
    fake.failures["bytes_hog"] = {"reason": "bytesBilledLimitExceeded", "message": "Over limit"}
    fake.failures["quota_hog"] = {"reason": "quotaExceeded", "message": "Quota exceeded: jobs"}
    warehouse = make_warehouse(fake)

    with pytest.raises(WarehouseError, match="--max-bytes-billed") as bytes_error:
        warehouse.query(Sql("bytes_hog", "SELECT bytes_hog"))
    with pytest.raises(WarehouseError, match="quota exceeded") as quota_error:
        warehouse.query(Sql("quota_hog", "SELECT quota_hog"))

    assert not bytes_error.value.transient and not bytes_error.value.stop_run
    assert quota_error.value.stop_run
    assert "(job player_game_summary_quota_hog_" in str(quota_error.value)


def test_the_client_resubmits_a_job_that_hit_a_job_rate_limit(fake: FakeBigQuery) -> None:
    fake.fail_once["SELECT 1"] = {"reason": "jobRateLimitExceeded", "message": "Rate limits"}
    fake.results = lambda query: ([{"name": "x", "type": "INTEGER"}], [["1"]])
    warehouse = make_warehouse(fake)

    assert warehouse.query(Sql("retried", "SELECT 1"), RANGE_1) == [{"x": 1}]

    first, second = (job["jobReference"]["jobId"] for job in fake.inserted("query"))
    assert first != second
    assert first.startswith("player_game_summary_20240101_")
    assert second.startswith("player_game_summary_20240101_")


# -- interrupt, credentials, preflight, threads -----------------------------------------


def test_interrupt_cancels_the_running_job(fake: FakeBigQuery) -> None:
    fake.hold_jobs = True
    warehouse = make_warehouse(fake)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            warehouse.query(Sql("slow", "SELECT slow"), RANGE_1)
        except Exception as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert fake.polling.wait(5)
    warehouse.interrupt()
    worker.join(5)

    [job] = fake.inserted("query")
    job_id = job["jobReference"]["jobId"]
    assert f"/projects/{PROJECT}/jobs/{job_id}/cancel" in fake.posted()
    assert len(errors) == 1 and isinstance(errors[0], WarehouseError)
    assert "cancelled" in str(errors[0])
    with pytest.raises(WarehouseError, match="stopping"):
        warehouse.query(Sql("later", "SELECT 1"))


def test_missing_credentials_fail_at_construction() -> None:
    with mock.patch.object(
        google.auth, "default", side_effect=auth_exceptions.DefaultCredentialsError("nothing")
    ):
        with pytest.raises(ConfigError) as raised:
            BigQueryWarehouse(project=PROJECT, job_name="player_game_summary")
    assert str(raised.value) == NO_CREDENTIALS


def test_preflight_checks_datasets_and_the_right_to_run_jobs(fake: FakeBigQuery) -> None:
    make_warehouse(fake).preflight()
    [dry_run] = fake.inserted("query")
    assert dry_run["configuration"]["dryRun"] is True

    del fake.datasets["nba_raw"]
    with pytest.raises(ConfigError, match="--raw-dataset"):
        make_warehouse(fake).preflight()

    fake.datasets["nba_raw"] = "EU"
    with pytest.raises(ConfigError, match="pass --location EU"):
        make_warehouse(fake).preflight()


def test_each_thread_gets_its_own_client(fake: FakeBigQuery) -> None:
    created: list[bigquery.Client] = []
    warehouse = make_warehouse(fake)
    factory = warehouse._client_factory

    def counting(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        created.append(factory(project, credentials, location))
        return created[-1]

    warehouse._client_factory = counting
    warehouse.query(Sql("a", "SELECT 1"))
    warehouse.query(Sql("b", "SELECT 1"))
    thread = threading.Thread(target=warehouse.query, args=(Sql("c", "SELECT 1"),))
    thread.start()
    thread.join(5)

    assert len(created) == 2
    warehouse.close()


# -- pricing and imports ----------------------------------------------------------------


def test_cost_estimate_uses_the_on_demand_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICE_ENV, raising=False)
    assert estimate_cost_usd(1024**4) == ON_DEMAND_USD_PER_TIB
    monkeypatch.setenv(PRICE_ENV, "5")
    assert estimate_cost_usd(2 * 1024**4) == 10.0
    monkeypatch.setenv(PRICE_ENV, "cheap")
    with pytest.raises(ConfigError, match=PRICE_ENV):
        estimate_cost_usd(1)


def test_the_embedded_path_never_imports_the_bigquery_sdk() -> None:
    code = (
        "import sys, shared.warehouse, shared.warehouse.duckdb_warehouse;"
        "assert 'google.cloud.bigquery' not in sys.modules, 'imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_table_exists_asks_the_tables_api_under_the_renamed_dataset(fake: FakeBigQuery) -> None:
    warehouse = make_warehouse(
        fake, datasets={"nba_raw": "scratch", "nba_analytics": "nba_analytics"}
    )
    assert warehouse.table_exists("nba_analytics.player_game_summary")
    assert not warehouse.table_exists("nba_raw.nbac_schedule")
    gets = [path for method, path, _, _ in fake.requests if method == "GET" and "/tables/" in path]
    assert gets[-1].endswith("/datasets/scratch/tables/nbac_schedule")
