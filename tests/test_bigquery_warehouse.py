"""The BigQuery adapter as BigQuery sees it: the real google-cloud-bigquery client against the
simulated BigQuery (tests/doubles/bigquery_sim) in process, at the client's
``_connection.api_request``. Each test reads the REST payload the client sent (the simulator's
job resources and its request log): destinations, dispositions, typed parameters, labels, job
id prefixes, byte caps, dry runs, resubmissions; and the simulator runs the jobs on a tiny
DuckDB fixture, so rows and partitions are real. Pure functions (parameter typing, error
classification, identifiers, pricing) need no double.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
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
from tests.doubles.bigquery_sim import BigQuerySimulator, Fault, FaultPlan, FaultReason, SimConfig

PROJECT = "test-project"
ROOT = Path(__file__).resolve().parents[1]
DDL_TEXT = (
    "CREATE TABLE IF NOT EXISTS nba_analytics.player_game_summary (\n"
    "  game_date DATE,\n  player_lookup STRING{required},\n  points INT64\n)\n"
    "PARTITION BY game_date\nCLUSTER BY player_lookup\n"
)
TARGET_DDL = Sql("create_player_game_summary", DDL_TEXT.format(required=""))
TARGET = PartitionedTable("nba_analytics.player_game_summary", "game_date", TARGET_DDL)
REQUIRED_DDL = Sql("create_player_game_summary", DDL_TEXT.format(required=" NOT NULL"))
SELECT = Sql(
    "player_game_summary",
    "-- the day's rows\nSELECT game_date, player_lookup, points FROM nba_raw.games\n"
    "WHERE game_date BETWEEN @start_date AND @end_date\n",
)
DEC31, JAN1, JAN2, JAN3 = date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
# Rows of the raw fixture per day: Jan 2 has no game.
GAMES = {DEC31: 2, JAN1: 4, JAN3: 6}
RANGE_1 = {"start_date": JAN1, "end_date": JAN1}
RANGE_3 = {"start_date": JAN1, "end_date": JAN3}


def make_sim(
    tmp_path: Path,
    *,
    datasets: tuple[str, ...] = ("nba_raw", "nba_analytics"),
    target: Sql | None = TARGET_DDL,
    **config: Any,
) -> BigQuerySimulator:
    """The raw fixture ``games`` in the first dataset, the target created in the last."""
    path = tmp_path / "sim.duckdb"
    raw, analytics = datasets[0], datasets[-1]
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE SCHEMA {raw}")
        connection.execute(
            f"CREATE TABLE {raw}.games (game_date DATE, player_lookup VARCHAR, points BIGINT)"
        )
        for day, count in GAMES.items():
            for n in range(count):
                connection.execute(
                    f"INSERT INTO {raw}.games VALUES (?, ?, ?)", [day, f"player_{n}", n]
                )
    sim = BigQuerySimulator(
        path,
        SimConfig(project=PROJECT, time_scale=0.002, **config),
        partitioning={f"{raw}.games": "game_date"},
        datasets=[analytics],
    )
    if target is not None:
        renamed = {"nba_raw": raw, "nba_analytics": analytics}
        make_warehouse(sim, datasets=renamed).execute(target)
        sim.clear_requests()
    return sim


@pytest.fixture()
def sim(tmp_path: Path) -> BigQuerySimulator:
    return make_sim(tmp_path)


def make_warehouse(sim: BigQuerySimulator, **kwargs: Any) -> BigQueryWarehouse:
    def factory(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        client = bigquery.Client(project=project, credentials=credentials, location=location)
        client._connection.api_request = sim.api_request  # type: ignore[method-assign]
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


def inserted(sim: BigQuerySimulator, kind: str) -> list[dict[str, Any]]:
    """The jobs.insert bodies the client sent for ``kind`` (query, copy) jobs, in order."""
    return [
        dict(request.data)
        for request in sim.requests("POST")
        if request.path.endswith("/jobs") and kind in request.data["configuration"]
    ]


def deleted(sim: BigQuerySimulator) -> list[str]:
    return [request.path.rsplit("/", 1)[-1] for request in sim.requests("DELETE")]


def assert_no_dml(sim: BigQuerySimulator) -> None:
    for job in inserted(sim, "query"):
        text = job["configuration"]["query"]["query"].upper()
        assert not re.search(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", text), text


def target_rows(sim: BigQuerySimulator, dataset: str = "nba_analytics") -> dict[date, int]:
    sim.storage.close()
    with duckdb.connect(str(sim.storage.path), read_only=True) as connection:
        rows = connection.execute(
            f"SELECT game_date, COUNT(*) FROM {dataset}.player_game_summary GROUP BY 1"
        ).fetchall()
    return dict(rows)


# -- one day ----------------------------------------------------------------------------


def test_one_day_is_one_query_job_truncating_the_days_partition(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim)

    assert warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1]).rows == 4

    [job] = inserted(sim, "query")
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
    assert not inserted(sim, "copy")
    assert not deleted(sim)
    assert_no_dml(sim)
    assert target_rows(sim) == {JAN1: 4}


def test_one_day_without_rows_deletes_the_partition(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim)
    warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1])
    emptied = Sql(SELECT.name, SELECT.text + "AND points < 0\n")

    assert warehouse.replace_partitions(TARGET, emptied, RANGE_1, [JAN1]).rows == 0

    assert deleted(sim) == ["player_game_summary$20240101"]
    assert target_rows(sim) == {}


def test_a_target_with_required_columns_goes_through_staging(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, target=REQUIRED_DDL)
    warehouse = make_warehouse(sim)
    table = PartitionedTable(TARGET.name, "game_date", REQUIRED_DDL)

    assert warehouse.replace_partitions(table, SELECT, RANGE_1, [JAN1]).rows == 4

    [copy_job] = inserted(sim, "copy")
    destination = copy_job["configuration"]["copy"]["destinationTable"]
    assert destination["tableId"] == "player_game_summary$20240101"
    assert target_rows(sim) == {JAN1: 4}


# -- several days -----------------------------------------------------------------------


def test_three_days_stage_once_then_copy_each_days_partition(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim)

    assert warehouse.replace_partitions(TARGET, SELECT, RANGE_3, [JAN1, JAN2, JAN3]).rows == 10

    ctas, counting = inserted(sim, "query")
    ddl = ctas["configuration"]["query"]
    staging = re.search(r"`(player_game_summary__staging_20240101_\w+)`", ddl["query"])
    assert staging is not None
    staging_id = staging.group(1)
    assert ddl["query"].startswith(f"CREATE TABLE `{PROJECT}`.`nba_analytics`.`{staging_id}` (")
    assert "player_lookup STRING," in ddl["query"]
    assert "PARTITION BY game_date CLUSTER BY player_lookup" in ddl["query"]
    assert "OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP()" in ddl["query"]
    assert SELECT.text.strip() in ddl["query"]
    assert "2024-01-0" not in ddl["query"]  # the days travel as parameters
    assert "destinationTable" not in ddl
    values = [p["parameterValue"]["value"] for p in ddl["queryParameters"]]
    assert values == ["2024-01-01", "2024-01-03"]
    assert staging_id in counting["configuration"]["query"]["query"]

    copies = [job["configuration"]["copy"] for job in inserted(sim, "copy")]
    pairs = [(c["sourceTables"][0]["tableId"], c["destinationTable"]["tableId"]) for c in copies]
    assert pairs == [
        (f"{staging_id}$20240101", "player_game_summary$20240101"),
        (f"{staging_id}$20240103", "player_game_summary$20240103"),
    ]
    assert {c["writeDisposition"] for c in copies} == {"WRITE_TRUNCATE"}
    assert {c["createDisposition"] for c in copies} == {"CREATE_NEVER"}
    assert deleted(sim) == ["player_game_summary$20240102", staging_id]
    assert_no_dml(sim)

    for job in inserted(sim, "query") + inserted(sim, "copy"):
        assert job["jobReference"]["jobId"].startswith("player_game_summary_20240101_")
        assert job["configuration"]["labels"]["day"] == "20240101"
    for job in inserted(sim, "query"):
        config = job["configuration"]["query"]
        assert config["maximumBytesBilled"] == str(DEFAULT_MAXIMUM_BYTES_BILLED)
    assert target_rows(sim) == {JAN1: 4, JAN3: 6}


def test_staging_is_dropped_when_a_copy_fails(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    sim.faults = FaultPlan((Fault(FaultReason.QUOTA_EXCEEDED, statement="copy"),))
    warehouse = make_warehouse(sim)

    with pytest.raises(WarehouseError, match="quota exceeded") as raised:
        warehouse.replace_partitions(TARGET, SELECT, RANGE_3, [JAN1, JAN3])

    assert not raised.value.transient
    assert any(name.startswith("player_game_summary__staging_") for name in deleted(sim))


def test_rows_outside_the_batch_are_refused(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim)
    leaking = Sql(
        SELECT.name, SELECT.text.replace("@start_date", "DATE_SUB(@start_date, INTERVAL 1 DAY)")
    )

    with pytest.raises(WarehouseError, match="outside the batch: 2023-12-31"):
        warehouse.replace_partitions(TARGET, leaking, RANGE_3, [JAN1, JAN2])

    assert not inserted(sim, "copy")
    assert target_rows(sim) == {}


# -- reads, estimates, renaming ---------------------------------------------------------


def test_query_returns_rows_as_dicts_with_typed_values(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim)
    stats = Sql(
        "day_stats",
        "SELECT game_date, COUNT(*) AS row_count FROM nba_raw.games "
        "WHERE game_date BETWEEN @start_date AND @end_date GROUP BY game_date ORDER BY game_date",
    )

    rows = warehouse.query(stats, RANGE_3)

    assert rows == [{"game_date": JAN1, "row_count": 4}, {"game_date": JAN3, "row_count": 6}]
    [job] = inserted(sim, "query")
    assert job["jobReference"]["jobId"].startswith("player_game_summary_20240101_")
    assert "destinationTable" not in job["configuration"]["query"]


def test_estimate_bytes_is_a_free_uncached_dry_run(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim, maximum_bytes_billed=5_000_000)

    estimate = warehouse.estimate_bytes(SELECT, RANGE_1)

    assert estimate is not None and estimate > 0
    [job] = inserted(sim, "query")
    assert job["configuration"]["dryRun"] is True
    assert job["configuration"]["query"]["useQueryCache"] is False
    assert job["configuration"]["query"]["maximumBytesBilled"] == "5000000"
    assert target_rows(sim) == {}


def test_renamed_datasets_rewrite_table_qualifiers(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, datasets=("scratch_1", "scratch_1"), target=None)
    renamed = {"nba_raw": "scratch_1", "nba_analytics": "scratch_1"}
    warehouse = make_warehouse(sim, datasets=renamed)

    warehouse.execute(TARGET_DDL)
    warehouse.replace_partitions(TARGET, SELECT, RANGE_1, [JAN1])

    ddl, write = (job["configuration"]["query"] for job in inserted(sim, "query"))
    assert "scratch_1.games" in write["query"]
    assert "nba_raw" not in write["query"]
    assert write["destinationTable"]["datasetId"] == "scratch_1"
    assert "CREATE TABLE IF NOT EXISTS scratch_1.player_game_summary" in ddl["query"]
    assert target_rows(sim, "scratch_1") == {JAN1: 4}


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
    sim: BigQuerySimulator, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        make_warehouse(sim, **kwargs)
    assert "\n" not in str(raised.value)


def test_legacy_domain_project_ids_are_accepted(sim: BigQuerySimulator) -> None:
    warehouse = make_warehouse(sim, project="example.com:my-project")
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


def test_a_failed_job_is_mapped_by_its_reason(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, target=None)
    sim.faults = FaultPlan((Fault(FaultReason.QUOTA_EXCEEDED, statement="quota_hog"),))
    warehouse = make_warehouse(sim, maximum_bytes_billed=1)

    with pytest.raises(WarehouseError, match="--max-bytes-billed") as bytes_error:
        warehouse.query(Sql("bytes_hog", "SELECT * FROM nba_raw.games"))
    with pytest.raises(WarehouseError, match="quota exceeded") as quota_error:
        make_warehouse(sim).query(Sql("quota_hog", "SELECT 1 AS x"))

    assert not bytes_error.value.transient and not bytes_error.value.stop_run
    assert quota_error.value.stop_run
    assert "(job player_game_summary_quota_hog_" in str(quota_error.value)


def test_the_client_resubmits_a_job_that_hit_a_job_rate_limit(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, target=None)
    sim.faults = FaultPlan((Fault(FaultReason.JOB_RATE_LIMIT, statement="retried"),))
    warehouse = make_warehouse(sim)

    assert warehouse.query(Sql("retried", "SELECT 1 AS x"), RANGE_1) == [{"x": 1}]

    first, second = (job["jobReference"]["jobId"] for job in inserted(sim, "query"))
    assert first != second
    assert first.startswith("player_game_summary_20240101_")
    assert second.startswith("player_game_summary_20240101_")


# -- interrupt, credentials, preflight, threads -----------------------------------------


def test_interrupt_cancels_the_running_job(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, target=None, statement_latency_s={"slow": 10_000.0})
    warehouse = make_warehouse(sim)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            warehouse.query(Sql("slow", "SELECT 1 AS x"), RANGE_1)
        except Exception as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 5
    while not any(r.path.startswith(f"/projects/{PROJECT}/queries/") for r in sim.requests()):
        assert time.monotonic() < deadline, "the job was never waited for"
        time.sleep(0.01)
    warehouse.interrupt()
    worker.join(5)

    [job] = inserted(sim, "query")
    job_id = job["jobReference"]["jobId"]
    assert f"/projects/{PROJECT}/jobs/{job_id}/cancel" in [r.path for r in sim.requests("POST")]
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


def test_preflight_checks_datasets_and_the_right_to_run_jobs(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    make_warehouse(sim).preflight()
    [dry_run] = inserted(sim, "query")
    assert dry_run["configuration"]["dryRun"] is True

    with pytest.raises(ConfigError, match="--raw-dataset"):
        make_warehouse(sim, datasets={"nba_raw": "missing_raw"}).preflight()

    with pytest.raises(ConfigError, match="pass --location US"):
        make_warehouse(sim, location="EU").preflight()


def test_each_thread_gets_its_own_client(sim: BigQuerySimulator) -> None:
    created: list[bigquery.Client] = []
    warehouse = make_warehouse(sim)
    factory = warehouse._client_factory

    def counting(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        created.append(factory(project, credentials, location))
        return created[-1]

    warehouse._client_factory = counting
    warehouse.query(Sql("a", "SELECT 1 AS x"))
    warehouse.query(Sql("b", "SELECT 1 AS x"))
    thread = threading.Thread(target=warehouse.query, args=(Sql("c", "SELECT 1 AS x"),))
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


def test_table_exists_asks_the_tables_api_under_the_renamed_dataset(
    sim: BigQuerySimulator,
) -> None:
    warehouse = make_warehouse(
        sim, datasets={"nba_raw": "scratch", "nba_analytics": "nba_analytics"}
    )
    assert warehouse.table_exists("nba_analytics.player_game_summary")
    assert not warehouse.table_exists("nba_raw.games")
    gets = [r.path for r in sim.requests("GET") if "/tables/" in r.path]
    assert gets[-1].endswith("/datasets/scratch/tables/games")
