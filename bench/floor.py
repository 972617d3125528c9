"""The floor: one statement computes the whole range and replaces every day of it at once.

``python -m bench.floor WAREHOUSE START END [JOB]`` prints the seconds that statement took
(JOB: player_game_summary, the default, or player_shot_zone_analysis).
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
)
from bench.runs import open_duckdb
from shared.backfill.planning import calendar_days

JOBS = {job.name: job for job in (PlayerGameSummaryJob, PlayerShotZoneAnalysisJob)}


def main(
    warehouse_path: str, start: str, end: str, job_name: str = PlayerGameSummaryJob.name
) -> None:
    warehouse = open_duckdb(Path(warehouse_path))
    try:
        job = JOBS[job_name](warehouse)
        job.prepare()
        started = time.perf_counter()
        job.process(calendar_days(date.fromisoformat(start), date.fromisoformat(end)))
        print(f"{time.perf_counter() - started:.3f}")
    finally:
        warehouse.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
