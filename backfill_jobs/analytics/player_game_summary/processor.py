"""The player_game_summary job: all the basketball the generic engine must not know.

A batch of consecutive days is one atomic ``replace_partitions`` of the transform in
``sql/player_game_summary.sql``, followed by one ``day_stats`` read of what it wrote
(``PartitionJob``); this module names the SQL, the sources and the basketball words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.backfill.fingerprints import Source
from shared.backfill.partition_job import PartitionJob, day_range
from shared.backfill.planning import calendar_days
from shared.errors import ConfigError
from shared.nba.schemas import RAW_TABLES
from shared.paths import python_command
from shared.warehouse.base import Dataset, PartitionedTable, Row, Shrink, as_date
from shared.warehouse.sql import Sql, load_sql_dir

logger = logging.getLogger(__name__)

_SQL_DIR = Path(__file__).parent / "sql"
_SQL: dict[str, Sql] = load_sql_dir(_SQL_DIR)

# The datasets the SQL names, and the flags that point a run at others.
DATASETS = (
    Dataset("nba_raw", "--raw-dataset", "raw"),
    Dataset("nba_analytics", "--analytics-dataset", "analytics"),
)

# The raw inputs: each row keeps its day's digest and count of them in the production's
# columns (source_nbac_*, source_bbd_*), computed by the transform's own *_digest CTEs.
SOURCES = (
    Source("schedule", "final games", "schedule", "schedule_digest"),
    Source("gamebook", "rows", "nbac", "gamebook_digest"),
    Source("play-by-play", "events", "bbd", "play_by_play_digest"),
)

GAMEBOOK = "nba_raw.nbac_gamebook_player_stats"
SCHEDULE = "nba_raw.nbac_schedule"

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


class PlayerGameSummaryJob(PartitionJob):
    """Recomputes ``nba_analytics.player_game_summary`` from the gamebook and play-by-play.

    A unit of work is a final game of the schedule.
    """

    name = "player_game_summary"
    sources: Sequence[Source] = SOURCES
    table = TARGET
    transform = _SQL["player_game_summary"]
    day_stats = _SQL["day_stats"]
    lineage = _SQL["lineage"]
    reconcile_sql = _SQL["reconcile"]
    # A rerun never leaves a game fewer player rows than the table holds.
    shrink_key = "game_id"

    def prepare(self) -> None:
        """Fail fast with a one-line fix if a raw table is missing; create the target if missing."""
        self.check_sources()
        self.create_or_migrate()

    def check_sources(self) -> None:
        for raw in RAW_TABLES:
            if not self.warehouse.table_exists(raw.name):
                raise ConfigError(
                    f"warehouse has no {self.warehouse.table_name(raw.name)}; {self._seed_hint()}"
                )

    def units_before_first_write(self, start: date, end: date) -> dict[date, int]:
        """Final games per day, from the schedule alone (the target does not exist yet)."""
        return {day: info.final_games for day, info in self.raw_availability(start, end).items()}

    def check_day(self, day: date, stats: Row) -> None:
        if int(stats["games"]) < int(stats["units"]):
            logger.warning(
                "%s: %d final games but gamebook rows for only %d",
                day,
                stats["units"],
                stats["games"],
            )

    def explain_shrink(self, day: date, shrinks: Sequence[Shrink]) -> str:
        """Each dropped or cut game, with what its raw input holds now:
        ``would drop game 20230110_CHA_HOU (32 rows): nba_raw.nbac_gamebook_player_stats has
        no rows for it``."""
        raw = {
            str(row["game_id"]): (int(row["gamebook_rows"]), bool(row["final"]))
            for row in self.warehouse.query(_SQL["shrink_inputs"], day_range(day, day))
        }
        if not raw and all(s.after == 0 for s in shrinks):
            rows = sum(s.before for s in shrinks)
            games = f"{len(shrinks)} game" + ("s" if len(shrinks) > 1 else "")
            return (
                f"would drop every game of the day ({games}, {rows} rows): "
                f"{GAMEBOOK} has no rows for the day"
            )
        parts = []
        for shrink in shrinks[:3]:
            gamebook_rows, final = raw.get(shrink.key, (0, False))
            if gamebook_rows == 0:
                where = f"{GAMEBOOK} has no rows for it"
            elif not final:
                where = f"{SCHEDULE} does not list it as final"
            else:
                where = f"{GAMEBOOK} has {gamebook_rows} rows for it"
            loss = (
                f"drop game {shrink.key} ({shrink.before} rows)"
                if shrink.after == 0
                else f"cut game {shrink.key} from {shrink.before} to {shrink.after} rows"
            )
            parts.append(f"would {loss}: {where}")
        more = f" (+{len(shrinks) - 3} more games)" if len(shrinks) > 3 else ""
        return "; ".join(parts) + more

    def raw_availability(self, start: date, end: date) -> dict[date, RawAvailability]:
        """Every day of [start, end] with the raw data it holds (zeros where none)."""
        rows = self.warehouse.query(_SQL["raw_availability"], day_range(start, end))
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

    def _seed_hint(self) -> str:
        if self.warehouse.dialect == "duckdb":
            seed = python_command(
                "-m", "shared.nba.sample_data", "--warehouse", self.warehouse.target
            )
            return f"seed it with `{seed}`"
        return "check the project and the nba_raw dataset the run points at"
