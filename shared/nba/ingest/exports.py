"""CSV exports of the NBA.com raw tables (e.g. ``bq extract``) as rows of the same tables.

The header names the table's columns (extra production columns are ignored); values
are checked against the column types of the DDL. An export may be sharded: a game's
rows may span files, so every file of a run is read before any game is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from shared.nba.ingest.columns import parse_value, table_columns
from shared.nba.ingest.files import csv_records
from shared.nba.ingest.loader import Loader, RawWarehouse
from shared.nba.ingest.records import FileRead, GameRows, IngestReport, Row, UnreadableFile
from shared.nba.schemas import GAMEBOOK, SCHEDULE
from shared.warehouse.base import PartitionedTable

logger = logging.getLogger(__name__)

# What identifies a row within its table: a repeat means a file was given twice or shards
# overlap, and would double the game downstream.
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    SCHEDULE.name: ("game_id",),
    GAMEBOOK.name: ("game_id", "team_abbr", "player_lookup"),
}
EXPORT_TABLES = {"schedule": SCHEDULE, "gamebook": GAMEBOOK}


def read_export(path: Path, table: PartitionedTable) -> FileRead:
    """Parse one export file; a malformed row rejects its game (the file, if it names none)."""
    columns = table_columns(table)
    names = [column.name for column in columns]
    id_index, date_index = names.index("game_id"), names.index(table.partition_column)
    read = FileRead(path)
    positions: list[int] = []
    width = 0
    try:
        for line, fields in csv_records(path):
            if not positions:
                header = [name.strip().lower() for name in fields]
                missing = [column.name for column in columns if column.name not in header]
                if missing:
                    return read.reject_file(
                        f"not an export of {table.name}: no column {', '.join(missing)}"
                    )
                extra = sorted(set(header) - {column.name for column in columns})
                if extra:
                    logger.info("%s: ignoring columns %s", path, ", ".join(extra))
                positions = [header.index(column.name) for column in columns]
                width = len(header)
                continue
            id_position = positions[id_index]
            game_id = fields[id_position].strip() if len(fields) > id_position else ""
            if not game_id:
                return read.reject_file("no game_id: cannot tell which game to reject", line)
            if len(fields) != width:
                read.reject_row(line, game_id, f"expected {width} fields, got {len(fields)}")
                continue
            try:
                row = tuple(
                    parse_value(column, fields[position])
                    for column, position in zip(columns, positions, strict=True)
                )
            except ValueError as exc:
                read.reject_row(line, game_id, str(exc))
                continue
            _add(read, game_id, row[date_index], row, line)
    except UnreadableFile as exc:
        return read.reject_file(str(exc), exc.line)
    if not positions:
        return read.reject_file("empty file: no header")
    return read


def ingest_export(
    warehouse: RawWarehouse,
    table: PartitionedTable,
    paths: Sequence[Path],
    *,
    replace: bool = False,
) -> IngestReport:
    """Load export files of ``table``: each game replaced in one transaction, in date order;
    by fewer rows than it holds only with ``replace``."""
    loader = Loader(warehouse, table, UNIQUE_KEYS[table.name], noun="rows", fewer=replace)
    loader.load([read_export(path, table) for path in paths])
    return loader.report


def _add(read: FileRead, game_id: str, game_date: date, row: Row, line: int) -> None:
    """Add a parsed row to its game; a game dated twice in one file is malformed."""
    if game_id in read.bad_games:
        return
    game = read.games.get(game_id)
    if game is None:
        game = read.games[game_id] = GameRows(game_id, game_date)
    elif game.game_date != game_date:
        read.reject_row(line, game_id, f"game_date {game_date}, earlier rows {game.game_date}")
        return
    game.add(row, read.path, line)
