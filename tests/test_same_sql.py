"""Both warehouses run the one checked-in text of every .sql file: BigQuery as written (here
the simulated BigQuery, through the real client), DuckDB its sqlglot transpilation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

import shared.warehouse.duckdb_warehouse as duckdb_module
from backfill_jobs.analytics.player_game_summary.processor import DATASETS
from shared.nba.schemas import RAW_TABLES
from shared.warehouse.bigquery_warehouse import BigQueryWarehouse
from shared.warehouse.sql import Sql, to_duckdb
from tests.doubles.bigquery_sim import BigQuerySimulator, SimConfig
from tests.raw_fixtures import seeded_warehouse

ROOT = Path(__file__).resolve().parents[1]
SQL_FILES = sorted((ROOT / "backfill_jobs").rglob("*.sql"))
TARGETS = [path for path in SQL_FILES if path.name.startswith("create_")]
PARAMS = {
    "lookback_start": date(2021, 8, 1),
    "start_date": date(2022, 1, 10),
    "end_date": date(2022, 1, 12),
    "transform_version": "0123456789abcdef",
}
PROJECT = "sim-project"


def run(warehouse, sql: Sql) -> None:
    if "CREATE TABLE" in sql.text:
        warehouse.execute(sql)
    else:
        warehouse.query(sql, {k: v for k, v in PARAMS.items() if f"@{k}" in sql.text})


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT / "backfill_jobs"))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> BigQuerySimulator:
    """The simulated BigQuery over the raw fixtures, with every target created through it."""
    path = tmp_path_factory.mktemp("same_sql") / "sim.duckdb"
    seeded_warehouse(path).close()
    simulator = BigQuerySimulator(
        path,
        SimConfig(project=PROJECT, time_scale=0.002),
        partitioning={table.name: table.partition_column for table in RAW_TABLES},
        datasets=["nba_analytics", "nba_precompute"],
    )
    warehouse = adapter(simulator)
    for target in TARGETS:
        warehouse.execute(Sql.from_file(target))
    return simulator


def adapter(sim: BigQuerySimulator) -> BigQueryWarehouse:
    def factory(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        client = bigquery.Client(project=project, credentials=credentials, location=location)
        client._connection.api_request = sim.api_request  # type: ignore[method-assign]
        return client

    return BigQueryWarehouse(
        project=PROJECT,
        location="US",
        job_name="same_sql",
        dataset_flags={dataset.name: dataset.flag for dataset in DATASETS},
        credentials=AnonymousCredentials(),
        client_factory=factory,
    )


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_bigquery_sends_the_file_text_untouched(path: Path, sim: BigQuerySimulator) -> None:
    sql = Sql.from_file(path)
    before = len(sim.jobs())
    run(adapter(sim), sql)
    sent = [job["configuration"]["query"]["query"] for job in sim.jobs()[before:]]
    assert sent == [sql.text]


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_duckdb_runs_the_transpilation_of_the_same_text(path: Path, tmp_path, monkeypatch) -> None:
    warehouse = seeded_warehouse(tmp_path / "w.duckdb")
    for target in TARGETS:
        warehouse.execute(Sql.from_file(target))
    transpiled: list[str] = []

    def spy(text: str) -> str:
        transpiled.append(text)
        return to_duckdb(text)

    monkeypatch.setattr(duckdb_module, "to_duckdb", spy)
    sql = Sql.from_file(path)
    run(warehouse, sql)
    warehouse.close()
    assert transpiled == [sql.text]
