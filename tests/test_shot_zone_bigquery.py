"""The features job on the BigQuery adapter, the real client with its transport mocked: what it
sends for a day (the checked-in text, the season's look-back as typed parameters, the day's
partition of the precompute table) and how it reads the day's result."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
)
from shared.backfill.results import DayStatus
from tests.test_bigquery_warehouse import NULLABLE_SCHEMA, PROJECT, FakeBigQuery, make_warehouse

ROOT = Path(__file__).resolve().parents[1]
TRANSFORM = (
    ROOT / "backfill_jobs/precompute/player_shot_zone_analysis/sql/player_shot_zone_analysis.sql"
).read_text(encoding="utf-8")
DAY = date(2022, 1, 10)


def results(query: str) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """Three feature rows for the transform (renamed or not); the day's stats otherwise."""
    if "earlier_games" in query:
        return [{"name": "player_lookup", "type": "STRING"}], [["a"], ["b"], ["c"]]
    fields = [
        {"name": "day", "type": "DATE"},
        {"name": "units", "type": "INTEGER"},
        {"name": "row_count", "type": "INTEGER"},
        {"name": "coverage", "type": "FLOAT"},
    ]
    return fields, [[DAY.isoformat(), "3", "3", "0.5"]]


def test_a_day_is_one_query_into_its_partition_reading_the_season_so_far() -> None:
    fake = FakeBigQuery()
    fake.tables["nba_precompute.player_shot_zone_analysis"] = NULLABLE_SCHEMA
    fake.results = results
    job = PlayerShotZoneAnalysisJob(make_warehouse(fake, job_name=PlayerShotZoneAnalysisJob.name))

    job.planned_with_rows([])  # a first backfill: the target holds nothing to shrink
    (result,) = job.process([DAY])

    assert (result.status, result.rows, result.units, result.coverage) == (
        DayStatus.SUCCESS,
        3,
        3,
        0.5,
    )
    write, stats = fake.inserted("query")
    config = write["configuration"]["query"]
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
    assert write["configuration"]["labels"]["day"] == "20220110"
    assert write["jobReference"]["jobId"].startswith("player_shot_zone_analysis_20220110_")
    assert (
        "FROM nba_precompute.player_shot_zone_analysis" in stats["configuration"]["query"]["query"]
    )
    fake.assert_no_dml()


def test_a_renamed_analytics_dataset_renames_the_summary_read_not_the_target() -> None:
    fake = FakeBigQuery()
    fake.tables["nba_precompute.player_shot_zone_analysis"] = NULLABLE_SCHEMA
    fake.results = results
    warehouse = make_warehouse(
        fake, job_name=PlayerShotZoneAnalysisJob.name, datasets={"nba_analytics": "scratch"}
    )
    job = PlayerShotZoneAnalysisJob(warehouse)
    job.planned_with_rows([])
    job.process([DAY])
    write = fake.inserted("query")[0]["configuration"]["query"]
    assert "FROM scratch.player_game_summary" in write["query"]
    assert "nba_analytics." not in write["query"]
    assert write["destinationTable"]["datasetId"] == "nba_precompute"
