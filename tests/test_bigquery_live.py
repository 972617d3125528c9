"""Live tests against a real BigQuery project, in a scratch dataset dropped afterwards.

Skipped unless ``BACKFILL_BQ_PROJECT`` is set and Application Default Credentials
are found. ``BACKFILL_BQ_LOCATION`` picks the location (default US). Run with
``make bigquery-test``. They cost cents: a few days of generated raw data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from shared.nba.schemas import RAW_TABLES
from shared.warehouse.base import PartitionedTable
from shared.warehouse.sql import Sql

pytestmark = pytest.mark.bigquery

PROJECT_ENV = "BACKFILL_BQ_PROJECT"
LOCATION_ENV = "BACKFILL_BQ_LOCATION"
JOB_NAME = "player_game_summary"
START, END = date(2022, 1, 10), date(2022, 1, 13)
SCRATCH_TTL_MS = 6 * 3600 * 1000
SQL_DIR = Path(__file__).resolve().parents[1] / "backfill_jobs/analytics/player_game_summary/sql"


@dataclass(frozen=True)
class Scratch:
    project: str
    location: str
    dataset: str
    seeded: Path


@pytest.fixture(scope="module")
def project() -> str:
    project = os.environ.get(PROJECT_ENV)
    if not project:
        pytest.skip(f"set {PROJECT_ENV} to run the live BigQuery tests")
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        google.auth.default()
    except DefaultCredentialsError:
        pytest.skip("no Google credentials (gcloud auth application-default login)")
    return project


@pytest.fixture(scope="module")
def scratch(project: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    """A dataset holding the raw tables with a few generated days, dropped at the end."""
    import duckdb
    import pandas as pd
    from google.cloud import bigquery

    from shared.nba.sample_data import seed_warehouse
    from shared.warehouse.bigquery_warehouse import BigQueryWarehouse

    location = os.environ.get(LOCATION_ENV, "US")
    name = f"pgs_backfill_test_{uuid.uuid4().hex[:12]}"
    client = bigquery.Client(project=project, location=location)
    dataset = bigquery.Dataset(bigquery.DatasetReference(project, name))
    dataset.location = location
    dataset.default_table_expiration_ms = SCRATCH_TTL_MS
    client.create_dataset(dataset)
    try:
        seeded = tmp_path_factory.mktemp("seed") / "warehouse.duckdb"
        seed_warehouse(seeded, START, END, 7)
        warehouse = BigQueryWarehouse(
            project=project,
            location=location,
            datasets={"nba_raw": name, "nba_analytics": name},
            job_name=JOB_NAME,
        )
        with duckdb.connect(str(seeded), read_only=True) as source:
            for table in RAW_TABLES:
                warehouse.execute(table.ddl)
                frame = source.execute(
                    f"SELECT * FROM {table.name} WHERE game_date BETWEEN ? AND ?", [START, END]
                ).df()
                frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.date
                destination = bigquery.TableReference(
                    bigquery.DatasetReference(project, name), table.name.split(".")[1]
                )
                client.load_table_from_dataframe(frame, destination).result()
        warehouse.close()
        yield Scratch(project, location, name, seeded)
    finally:
        client.delete_dataset(
            bigquery.DatasetReference(project, name), delete_contents=True, not_found_ok=True
        )
        client.close()


def run_cli(scratch: Scratch, tmp_path: Path, *extra: str) -> int:
    from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import (
        main,
    )

    return main(
        [
            "--warehouse", "bigquery",
            "--project", scratch.project,
            "--location", scratch.location,
            "--raw-dataset", scratch.dataset,
            "--analytics-dataset", scratch.dataset,
            "--start-date", START.isoformat(),
            "--end-date", END.isoformat(),
            "--checkpoint-dir", str(tmp_path / "checkpoints"),
            "--log-dir", str(tmp_path / "logs"),
            *extra,
        ]
    )  # fmt: skip


def summary_counts(scratch: Scratch, table: str = "player_game_summary") -> tuple[int, int]:
    """(rows, distinct (game_id, player_lookup)) of the range."""
    from google.cloud import bigquery

    client = bigquery.Client(project=scratch.project, location=scratch.location)
    try:
        rows = client.query(
            f"SELECT COUNT(*) AS n, COUNT(DISTINCT CONCAT(game_id, '|', player_lookup)) AS keys "
            f"FROM `{scratch.project}.{scratch.dataset}.{table}` "
            "WHERE game_date BETWEEN @start_date AND @end_date",
            job_config=bigquery.QueryJobConfig(
                query_parameters=[
                    bigquery.ScalarQueryParameter("start_date", "DATE", START),
                    bigquery.ScalarQueryParameter("end_date", "DATE", END),
                ]
            ),
        ).result()
        row = next(iter(rows))
        return int(row["n"]), int(row["keys"])
    finally:
        client.close()


def test_parallel_backfill_writes_one_row_per_player_and_game(
    scratch: Scratch, tmp_path: Path
) -> None:
    assert run_cli(scratch, tmp_path, "--parallel", "--workers", "15") == 0
    rows, keys = summary_counts(scratch)
    assert rows > 0
    assert rows == keys

    # Idempotent: redoing the days in multi-day batches (staging + copies) changes nothing.
    rerun = ("--parallel", "--workers", "2", "--batch-days", "2", "--no-resume")
    assert run_cli(scratch, tmp_path, *rerun) == 0
    assert summary_counts(scratch) == (rows, keys)


def test_one_day_query_write_and_empty_day_on_a_target_without_required_columns(
    scratch: Scratch,
) -> None:
    from shared.warehouse.bigquery_warehouse import BigQueryWarehouse

    ddl = Sql.from_file(SQL_DIR / "create_player_game_summary.sql")
    nullable = PartitionedTable(
        name="nba_analytics.pgs_nullable",
        partition_column="game_date",
        ddl=Sql(
            "create_pgs_nullable",
            ddl.text.replace(
                "nba_analytics.player_game_summary", "nba_analytics.pgs_nullable"
            ).replace(" NOT NULL", ""),
        ),
    )
    select = Sql.from_file(SQL_DIR / "player_game_summary.sql")
    body = select.text.strip().rstrip(";")
    nothing = Sql("player_game_summary_empty", f"SELECT * FROM (\n{body}\n) WHERE FALSE")
    warehouse = BigQueryWarehouse(
        project=scratch.project,
        location=scratch.location,
        datasets={"nba_raw": scratch.dataset, "nba_analytics": scratch.dataset},
        job_name=JOB_NAME,
    )
    try:
        warehouse.execute(nullable.ddl)
        day = {"start_date": START, "end_date": START}
        written = warehouse.replace_partitions(nullable, select, day, [START])
        assert written > 0
        assert warehouse.replace_partitions(nullable, select, day, [START]) == written
        assert warehouse.replace_partitions(nullable, nothing, day, [START]) == 0
        assert summary_counts(scratch, "pgs_nullable") == (0, 0)
    finally:
        warehouse.close()


def test_query_results_cannot_fill_required_columns(scratch: Scratch) -> None:
    """Why the target has no NOT NULL columns and why the adapter detours through staging
    for targets that do (bigquery_warehouse docstring): query results are NULLABLE, and a
    query job refuses to write them into REQUIRED columns.
    """
    from google.api_core import exceptions as api_exceptions
    from google.cloud import bigquery

    client = bigquery.Client(project=scratch.project, location=scratch.location)
    dataset = bigquery.DatasetReference(scratch.project, scratch.dataset)
    try:
        client.query(
            f"CREATE TABLE `{scratch.project}.{scratch.dataset}.probe_required` "
            "(d DATE NOT NULL, x INT64 NOT NULL) PARTITION BY d"
        ).result()
        config = bigquery.QueryJobConfig(
            destination=bigquery.TableReference(dataset, "probe_required$20220110"),
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            query_parameters=[bigquery.ScalarQueryParameter("d", "DATE", START)],
        )
        with pytest.raises(api_exceptions.BadRequest, match="(?i)required"):
            client.query("SELECT @d AS d, 1 AS x", job_config=config).result()
    finally:
        client.close()
