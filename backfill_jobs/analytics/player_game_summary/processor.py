"""The player_game_summary job: all the basketball the generic engine must not know.

A batch of consecutive days is one atomic ``replace_partitions`` of the transform in
``sql/player_game_summary.sql``, followed by one ``day_stats`` read of what it wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.backfill.fingerprints import Source
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayResult, DayStatus
from shared.errors import ConfigError
from shared.schemas import RAW_TABLES
from shared.warehouse.base import Dataset, PartitionedTable, Row, Warehouse, as_date
from shared.warehouse.sql import Sql, load_sql_dir

logger = logging.getLogger(__name__)

_SQL_DIR = Path(__file__).parent / "sql"
_SQL: dict[str, Sql] = load_sql_dir(_SQL_DIR)

# The datasets the SQL names, and the flags that point a run at others.
DATASETS = (
    Dataset("nba_raw", "--raw-dataset", "raw"),
    Dataset("nba_analytics", "--analytics-dataset", "analytics"),
)

# The raw inputs whose fingerprints are recorded with each written day (stale-day detection).
SOURCES = (
    Source("schedule", "final games", _SQL["fingerprint_schedule"]),
    Source("gamebook", "rows", _SQL["fingerprint_gamebook"]),
    Source("play-by-play", "events", _SQL["fingerprint_play_by_play"]),
)

TARGET = PartitionedTable(
    name="nba_analytics.player_game_summary",
    partition_column="game_date",
    ddl=_SQL["create_player_game_summary"],
)


@dataclass(frozen=True)
class RawAvailability:
    """What the raw tables hold for one day (shown by ``--dry-run``)."""

    final_games: int = 0
    unfinished_games: int = 0
    gamebook_rows: int = 0
    pbp_events: int = 0
    games_with_pbp: int = 0


class PlayerGameSummaryJob:
    """Recomputes ``nba_analytics.player_game_summary`` from the gamebook and play-by-play."""

    name = "player_game_summary"
    sources: Sequence[Source] = SOURCES
    table: PartitionedTable

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.table = TARGET

    def prepare(self) -> None:
        """Fail fast with a one-line fix if a raw table is missing; create the target if missing."""
        for raw in RAW_TABLES:
            if not self.warehouse.table_exists(raw.name):
                raise ConfigError(f"warehouse has no {raw.name}; {self._seed_hint()}")
        if not self.warehouse.table_exists(self.table.name):
            logger.info("creating %s", self.table.name)
            self.warehouse.execute(self.table.ddl)

    def work_units(self, start: date, end: date) -> dict[date, int]:
        """Final games per day of [start, end]; 0 for a day without one that still holds rows
        (a postponed game): processing it clears them. Days with nothing to do are absent."""
        if not self.warehouse.table_exists(self.table.name):
            # A dry run before the first write: no rows yet, so only final games make work.
            available = self.raw_availability(start, end)
            return {day: info.final_games for day, info in available.items() if info.final_games}
        rows = self.warehouse.query(_SQL["day_stats"], _range(start, end))
        return {
            as_date(row["game_date"]): int(row["final_games"])
            for row in rows
            if int(row["final_games"]) > 0 or int(row["row_count"]) > 0
        }

    def written_rows(self, start: date, end: date) -> dict[date, int]:
        """Rows the target holds per day of [start, end]."""
        if not self.warehouse.table_exists(self.table.name):
            return {}
        rows = self.warehouse.query(_SQL["day_stats"], _range(start, end))
        return {
            as_date(row["game_date"]): int(row["row_count"]) for row in rows if row["row_count"]
        }

    def raw_availability(self, start: date, end: date) -> dict[date, RawAvailability]:
        """Every day of [start, end] with the raw data it holds (zeros where none)."""
        rows = self.warehouse.query(_SQL["raw_availability"], _range(start, end))
        by_day = {
            as_date(row["game_date"]): RawAvailability(
                final_games=int(row["final_games"]),
                unfinished_games=int(row["unfinished_games"]),
                gamebook_rows=int(row["gamebook_rows"]),
                pbp_events=int(row["pbp_events"]),
                games_with_pbp=int(row["games_with_pbp"]),
            )
            for row in rows
        }
        return {day: by_day.get(day, RawAvailability()) for day in calendar_days(start, end)}

    def process(self, days: Sequence[date]) -> list[DayResult]:
        """Replace the rows of ``days`` (consecutive) in one atomic write; one result per day.

        Days without a final game are SKIPPED (the write left them empty). The batch's wall
        time is split evenly across its days.
        """
        _check_consecutive(days)
        started = time.monotonic()
        params = _range(days[0], days[-1])
        self.warehouse.replace_partitions(self.table, _SQL["player_game_summary"], params, days)
        stats = {
            as_date(row["game_date"]): row
            for row in self.warehouse.query(_SQL["day_stats"], params)
        }
        duration_s = (time.monotonic() - started) / len(days)
        return [_day_result(day, stats.get(day), duration_s) for day in days]

    def estimate_bytes(self, day: date) -> int | None:
        """Bytes one day's transform would scan, where the warehouse tells for free (else None).

        A day far above an even share of the range means the date filter does not prune.
        """
        return self.warehouse.estimate_bytes(_SQL["player_game_summary"], _range(day, day))

    def _seed_hint(self) -> str:
        if self.warehouse.dialect == "duckdb":
            return "seed it with `python -m shared.sample_data --warehouse PATH`"
        return "check the project and the nba_raw dataset the run points at"


def _day_result(day: date, stats: Row | None, duration_s: float) -> DayResult:
    games = int(stats["final_games"]) if stats else 0
    if stats is None or games == 0:
        return DayResult(day=day, status=DayStatus.SKIPPED, duration_s=duration_s)
    if int(stats["games"]) < games:
        logger.warning(
            "%s: %d final games but gamebook rows for only %d", day, games, stats["games"]
        )
    coverage = stats["coverage"]
    return DayResult(
        day=day,
        status=DayStatus.SUCCESS,
        rows=int(stats["row_count"]),
        units=games,
        coverage=None if coverage is None else float(coverage),
        duration_s=duration_s,
    )


def _range(start: date, end: date) -> dict[str, date]:
    return {"start_date": start, "end_date": end}


def _check_consecutive(days: Sequence[date]) -> None:
    if not days or list(days) != calendar_days(days[0], days[-1]):
        raise ValueError(f"process() needs consecutive calendar days, got {list(days)}")
