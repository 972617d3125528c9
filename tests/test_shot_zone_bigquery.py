"""The features job on the BigQuery adapter, the real client against the simulated BigQuery in
process: what it sends for a day (the checked-in text, the season's look-back as typed
parameters, the day's partition of the precompute table) and how it reads the day's result."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    DATASETS,
    PlayerShotZoneAnalysisJob,
)
from shared.backfill.results import DayStatus
from shared.nba.schemas import RAW_TABLES
from shared.warehouse.bigquery_warehouse import BigQueryWarehouse
from tests.doubles.bigquery_sim import BigQuerySimulator, SimConfig
from tests.test_bigquery_sim import seed  # noqa: F401 - the session's seeded week

ROOT = Path(__file__).resolve().parents[1]
TRANSFORM = (
    ROOT / "backfill_jobs/precompute/player_shot_zone_analysis/sql/player_shot_zone_analysis.sql"
).read_text(encoding="utf-8")
PROJECT = "sim-project"
DAY = date(2022, 1, 10)
SUMMARY_DAYS = [date(2022, 1, 8), date(2022, 1, 9), DAY]


def adapter(sim: BigQuerySimulator, **options: Any) -> BigQueryWarehouse:
    def factory(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        client = bigquery.Client(project=project, credentials=credentials, location=location)
        client._connection.api_request = sim.api_request  # type: ignore[method-assign]
        return client

    return BigQueryWarehouse(
        project=PROJECT,
        location="US",
        job_name=PlayerShotZoneAnalysisJob.name,
        dataset_flags={dataset.name: dataset.flag for dataset in DATASETS},
        credentials=AnonymousCredentials(),
        client_factory=factory,
        **options,
    )


@pytest.fixture()
def sim(seed: Path, tmp_path: Path) -> BigQuerySimulator:  # noqa: F811 - the fixture
    """The seeded week, with the summary written for the days up to DAY (in ``scratch`` too,
    for the renamed dataset)."""
    path = tmp_path / "sim.duckdb"
    shutil.copy(seed, path)
    simulator = BigQuerySimulator(
        path,
        SimConfig(project=PROJECT, time_scale=0.002),
        partitioning={table.name: table.partition_column for table in RAW_TABLES},
        datasets=["nba_analytics", "nba_precompute", "scratch"],
    )
    for analytics in ("nba_analytics", "scratch"):
        summary = PlayerGameSummaryJob(adapter(simulator, datasets={"nba_analytics": analytics}))
        summary.create_or_migrate()
        summary.process(SUMMARY_DAYS)
    simulator.clear_requests()
    return simulator


def features_rows(sim: BigQuerySimulator) -> int:
    sim.storage.close()
    with duckdb.connect(str(sim.storage.path), read_only=True) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM nba_precompute.player_shot_zone_analysis WHERE analysis_date = ?",
            [DAY],
        ).fetchone()
    return int(count)


def test_a_day_is_one_query_into_its_partition_reading_the_season_so_far(
    sim: BigQuerySimulator,
) -> None:
    job = PlayerShotZoneAnalysisJob(adapter(sim))
    job.create_or_migrate()
    job.planned_with_rows([])  # a first backfill: the target holds nothing to shrink
    before = len(sim.jobs())

    (result,) = job.process([DAY])

    assert result.status is DayStatus.SUCCESS and result.rows > 0
    assert result.rows == features_rows(sim)
    write, stats = (job["configuration"] for job in sim.jobs()[before:])
    config = write["query"]
    assert config["query"] == TRANSFORM
    assert config["destinationTable"] == {
        "projectId": PROJECT,
        "datasetId": "nba_precompute",
        "tableId": "player_shot_zone_analysis$20220110",
    }
    assert config["writeDisposition"] == "WRITE_TRUNCATE"
    assert {p["name"]: p["parameterValue"]["value"] for p in config["queryParameters"]} == {
        "lookback_start": "2021-08-01",
        "start_date": "2022-01-10",
        "end_date": "2022-01-10",
        "transform_version": job.version,
    }
    assert write["labels"]["day"] == "20220110"
    assert sim.jobs()[before]["jobReference"]["jobId"].startswith(
        "player_shot_zone_analysis_20220110_"
    )
    assert "FROM nba_precompute.player_shot_zone_analysis" in stats["query"]["query"]


def test_a_renamed_analytics_dataset_renames_the_summary_read_not_the_target(
    sim: BigQuerySimulator,
) -> None:
    job = PlayerShotZoneAnalysisJob(adapter(sim, datasets={"nba_analytics": "scratch"}))
    job.create_or_migrate()
    job.planned_with_rows([])
    before = len(sim.jobs())
    (result,) = job.process([DAY])
    write = sim.jobs()[before]["configuration"]["query"]
    assert "FROM scratch.player_game_summary" in write["query"]
    assert "nba_analytics." not in write["query"]
    assert write["destinationTable"]["datasetId"] == "nba_precompute"
    assert result.rows == features_rows(sim) > 0
