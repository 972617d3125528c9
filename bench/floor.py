"""The floor: one statement computes the whole range and replaces every day of it at once.

``python -m bench.floor WAREHOUSE START END`` prints the seconds that statement took.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from backfill_jobs.analytics.player_game_summary.processor import DATASETS, PlayerGameSummaryJob
from shared.backfill.planning import calendar_days
from shared.warehouse.base import as_named
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse


def main(warehouse_path: str, start: str, end: str) -> None:
    warehouse = DuckDBWarehouse(Path(warehouse_path), datasets=as_named(DATASETS))
    try:
        job = PlayerGameSummaryJob(warehouse)
        job.prepare()
        started = time.perf_counter()
        job.process(calendar_days(date.fromisoformat(start), date.fromisoformat(end)))
        print(f"{time.perf_counter() - started:.3f}")
    finally:
        warehouse.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
