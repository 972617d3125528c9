"""The player_shot_zone_analysis job: the prop model's rolling shot-zone features.

Unlike the summary it reads, a feature day is not computed from that day alone: it reads the
player's earlier games of the season from ``nba_analytics.player_game_summary`` (``lookback`` in
``seasons.py``). A batch of consecutive days is one atomic ``replace_partitions`` of
``sql/player_shot_zone_analysis.sql``, whose upstream read is pruned to [season start of the
first day, last day], followed by one ``day_stats`` read of what it wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from backfill_jobs.precompute.player_shot_zone_analysis.seasons import SEASON_CALENDAR, query_params
from shared.backfill.fingerprints import Source
from shared.backfill.job import DayCounts
from shared.backfill.partition_job import PartitionJob, day_range
from shared.backfill.planning import calendar_days
from shared.errors import ConfigError
from shared.paths import script_command
from shared.warehouse.base import Dataset, PartitionedTable, Shrink, as_date
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


class PlayerShotZoneAnalysisJob(PartitionJob):
    """Recomputes ``nba_precompute.player_shot_zone_analysis`` from player_game_summary.

    A work unit is a player-game: a summary row with minutes > 0, which gets one feature row.
    """

    name = "player_shot_zone_analysis"
    # Its input is the summary's rows of the day's season so far, by their data_hash.
    sources: Sequence[Source] = (
        Source("player_game_summary", "player-games read", "player_game", "summary_digest"),
    )
    table = TARGET
    transform = _SQL["player_shot_zone_analysis"]
    day_stats = _SQL["day_stats"]
    lineage = _SQL["lineage"]
    reconcile_sql = _SQL["reconcile"]
    # The calendar decides which summary days a feature day reads.
    constants = (repr(SEASON_CALENDAR),)
    # A rerun never drops a player-day the table holds.
    shrink_key = "player_lookup"

    def explain_shrink(self, day: date, shrinks: Sequence[Shrink]) -> str:
        players = ", ".join(s.key for s in shrinks[:5])
        more = f" (+{len(shrinks) - 5} more)" if len(shrinks) > 5 else ""
        return (
            f"would drop {len(shrinks)} player-day(s) ({players}{more}): {UPSTREAM} no longer "
            "has their rows with minutes"
        )

    def prepare(self) -> None:
        """Fail fast with a one-line fix if the upstream table is missing; create the target."""
        self.check_sources()
        self.create_or_migrate()

    def params(self, first: date, last: date) -> dict[str, date]:
        """Upstream is read from the season start of ``first`` (``seasons.query_params``)."""
        return query_params(first, last)

    def day_counts(self, start: date, end: date) -> dict[date, DayCounts]:
        self.check_sources()
        return super().day_counts(start, end)

    def units_before_first_write(self, start: date, end: date) -> dict[date, int]:
        """Player-games per day, from the summary alone (the target does not exist yet)."""
        return {day: info.player_games for day, info in self.upstream_days(start, end).items()}

    def upstream_days(self, start: date, end: date) -> dict[date, UpstreamDay]:
        """Every day of [start, end] with what player_game_summary holds (zeros where none)."""
        rows = self.warehouse.query(_SQL["upstream_days"], day_range(start, end))
        by_day = {
            as_date(row["game_date"]): UpstreamDay(
                rows=int(row["row_count"]), player_games=int(row["player_games"])
            )
            for row in rows
        }
        return {day: by_day.get(day, UpstreamDay()) for day in calendar_days(start, end)}

    def check_sources(self) -> None:
        if not self.warehouse.table_exists(UPSTREAM):
            build = script_command(UPSTREAM_SCRIPT, "--warehouse", self.warehouse.target)
            raise ConfigError(
                f"warehouse has no {self.warehouse.table_name(UPSTREAM)}; build it first with "
                f"`{build}` over the same range from its season's start, or run this command "
                "with --with-upstream"
            )
