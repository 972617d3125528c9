"""The player_shot_zone_analysis job: the prop model's rolling shot-zone features.

Unlike the summary it reads, a feature day is not computed from that day alone: it reads the
player's earlier games of the season from ``nba_analytics.player_game_summary`` (``lookback`` in
``seasons.py``). A batch of consecutive days is one atomic ``replace_partitions`` of
``sql/player_shot_zone_analysis.sql``, whose upstream read is pruned to [season start of the
first day, last day], followed by one ``day_stats`` read of what it wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from backfill_jobs.precompute.player_shot_zone_analysis.seasons import query_params
from shared.backfill.fingerprints import Source
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayResult, DayStatus
from shared.errors import ConfigError
from shared.warehouse.base import Dataset, PartitionedTable, Row, Warehouse, as_date
from shared.warehouse.sql import Sql, load_sql_dir

logger = logging.getLogger(__name__)

_SQL: dict[str, Sql] = load_sql_dir(Path(__file__).parent / "sql")

# The datasets the SQL names, and the flags that point a run at others.
DATASETS = (
    Dataset("nba_analytics", "--analytics-dataset", "analytics"),
    Dataset("nba_precompute", "--precompute-dataset", "precompute"),
)

UPSTREAM = "nba_analytics.player_game_summary"
UPSTREAM_SCRIPT = (
    "backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py"
)

TARGET = PartitionedTable(
    name="nba_precompute.player_shot_zone_analysis",
    partition_column="analysis_date",
    ddl=_SQL["create_player_shot_zone_analysis"],
)


@dataclass(frozen=True)
class UpstreamDay:
    """What player_game_summary holds for one day (shown by ``--dry-run``)."""

    rows: int = 0
    player_games: int = 0


class PlayerShotZoneAnalysisJob:
    """Recomputes ``nba_precompute.player_shot_zone_analysis`` from player_game_summary.

    A work unit is a player-game: a summary row with minutes > 0, which gets one feature row.
    """

    name = "player_shot_zone_analysis"
    # Its only input is upstream's table, whose rewrites the engine tracks (JobSpec.upstream).
    sources: Sequence[Source] = ()
    table: PartitionedTable

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.table = TARGET

    def prepare(self) -> None:
        """Fail fast with a one-line fix if the upstream table is missing; create the target."""
        self._require_upstream()
        if not self.warehouse.table_exists(self.table.name):
            logger.info("creating %s", self.table.name)
            self.warehouse.execute(self.table.ddl)

    def work_units(self, start: date, end: date) -> dict[date, int]:
        """Player-games per day of [start, end]; 0 for a day without any that still holds
        feature rows (processing it clears them). Days with nothing to do are absent."""
        self._require_upstream()
        if not self.warehouse.table_exists(self.table.name):
            # A dry run before the first write: no rows yet, so only player-games make work.
            upstream = self.upstream_days(start, end)
            return {day: info.player_games for day, info in upstream.items() if info.player_games}
        rows = self.warehouse.query(_SQL["day_stats"], _range(start, end))
        return {
            as_date(row["analysis_date"]): int(row["player_games"])
            for row in rows
            if int(row["player_games"]) > 0 or int(row["row_count"]) > 0
        }

    def written_rows(self, start: date, end: date) -> dict[date, int]:
        """Feature rows the target holds per day of [start, end]."""
        if not self.warehouse.table_exists(self.table.name):
            return {}
        rows = self.warehouse.query(_SQL["day_stats"], _range(start, end))
        return {
            as_date(row["analysis_date"]): int(row["row_count"]) for row in rows if row["row_count"]
        }

    def upstream_days(self, start: date, end: date) -> dict[date, UpstreamDay]:
        """Every day of [start, end] with what player_game_summary holds (zeros where none)."""
        rows = self.warehouse.query(_SQL["upstream_days"], _range(start, end))
        by_day = {
            as_date(row["game_date"]): UpstreamDay(
                rows=int(row["row_count"]), player_games=int(row["player_games"])
            )
            for row in rows
        }
        return {day: by_day.get(day, UpstreamDay()) for day in calendar_days(start, end)}

    def process(self, days: Sequence[date]) -> list[DayResult]:
        """Replace the rows of ``days`` (consecutive) in one atomic write; one result per day.

        Days without a player-game are SKIPPED (the write left them empty). The batch's wall
        time is split evenly across its days.
        """
        _check_consecutive(days)
        started = time.monotonic()
        self.warehouse.replace_partitions(
            self.table,
            _SQL["player_shot_zone_analysis"],
            query_params(days[0], days[-1]),
            days,
        )
        stats = {
            as_date(row["analysis_date"]): row
            for row in self.warehouse.query(_SQL["day_stats"], _range(days[0], days[-1]))
        }
        duration_s = (time.monotonic() - started) / len(days)
        return [_day_result(day, stats.get(day), duration_s) for day in days]

    def estimate_bytes(self, day: date) -> int | None:
        """Bytes one day's transform would scan, where the warehouse tells for free (else None).

        It reads the season up to the day, so a late-season day scans more than an early one.
        """
        return self.warehouse.estimate_bytes(
            _SQL["player_shot_zone_analysis"], query_params(day, day)
        )

    def _require_upstream(self) -> None:
        if not self.warehouse.table_exists(UPSTREAM):
            raise ConfigError(
                f"warehouse has no {UPSTREAM}; build it first with `python {UPSTREAM_SCRIPT}` "
                "over the same range, from its season's start"
            )


def _day_result(day: date, stats: Row | None, duration_s: float) -> DayResult:
    player_games = int(stats["player_games"]) if stats else 0
    if stats is None or player_games == 0:
        return DayResult(day=day, status=DayStatus.SKIPPED, duration_s=duration_s)
    coverage = stats["coverage"]
    return DayResult(
        day=day,
        status=DayStatus.SUCCESS,
        rows=int(stats["row_count"]),
        units=player_games,
        coverage=None if coverage is None else float(coverage),
        duration_s=duration_s,
    )


def _range(start: date, end: date) -> dict[str, date]:
    return {"start_date": start, "end_date": end}


def _check_consecutive(days: Sequence[date]) -> None:
    if not days or list(days) != calendar_days(days[0], days[-1]):
        raise ValueError(f"process() needs consecutive calendar days, got {list(days)}")
