"""DDL of the raw tables the jobs read, in BigQuery Standard SQL (production names)."""

from __future__ import annotations

from pathlib import Path

from shared.warehouse.base import PartitionedTable
from shared.warehouse.sql import Sql

RAW_DATASET = "nba_raw"
_DIR = Path(__file__).parent / RAW_DATASET


def _raw(table: str) -> PartitionedTable:
    return PartitionedTable(
        name=f"{RAW_DATASET}.{table}",
        partition_column="game_date",
        ddl=Sql.from_file(_DIR / f"{table}.sql"),
    )


SCHEDULE = _raw("nbac_schedule")
GAMEBOOK = _raw("nbac_gamebook_player_stats")
PLAY_BY_PLAY = _raw("bigdataball_play_by_play")
RAW_TABLES = (SCHEDULE, GAMEBOOK, PLAY_BY_PLAY)
