"""Writing parsed games: one transaction per game, so a game is replaced whole or not at all.

Re-ingesting a game deletes its rows (on its ``game_date``, the way production prunes)
and inserts the new ones in the same transaction: idempotent, and a failure leaves the
previous copy in place.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from shared.errors import ConfigError, WarehouseError
from shared.nba.ingest.columns import arrow_schema, table_columns
from shared.nba.ingest.records import FileRead, GameRows, IngestReport, Problem
from shared.nba.schemas import RAW_DATASET, RAW_TABLES
from shared.warehouse.base import PartitionedTable
from shared.warehouse.duckdb_warehouse import raise_if_signalled
from shared.warehouse.factory import BIGQUERY
from shared.warehouse.sql import checked_table_name, to_duckdb

logger = logging.getLogger(__name__)

_BATCH_VIEW = "ingest_batch"


class FewerRows(WarehouseError):
    """The game already holds more rows than the new copy: replacing it would lose some."""

    def __init__(self, loaded: int, new: int) -> None:
        super().__init__(f"{loaded} rows loaded, {new} in the new copy")
        self.loaded, self.new = loaded, new


class RawWarehouse:
    """The embedded DuckDB file, opened for loading.

    A missing file is created (with the raw tables) only when the first game is written, so
    an ingest that rejects everything leaves nothing behind; an existing file is opened at
    once, so a locked or corrupt warehouse is a usage error before any file is read.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) == BIGQUERY:
            raise ConfigError("ingest loads the embedded DuckDB warehouse only; pass a file path")
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._prepared = False
        if self.path.exists():
            self._connection = self._connect()
        elif not _can_create(self.path):
            raise ConfigError(f"cannot create warehouse {self.path}: its directory is not writable")

    def lookup(self, sql: str, parameters: dict[str, object]) -> list[tuple[object, ...]]:
        """The rows of a read-only query; none when the warehouse or its table does not exist."""
        if self._connection is None:
            return []
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except duckdb.CatalogException:
            return []
        except (duckdb.Error, RuntimeError) as exc:
            raise_if_signalled(exc)
            if not isinstance(exc, duckdb.Error):
                raise
            raise WarehouseError(_first_line(exc)) from exc

    def replace_game(self, table: PartitionedTable, game: GameRows, *, fewer: bool = False) -> None:
        """Make ``game.rows`` the only rows of the game, atomically; WarehouseError if refused.

        ``FewerRows`` when the game holds more rows than ``game`` and ``fewer`` is False.
        """
        name = checked_table_name(table.name)
        schema = arrow_schema(table_columns(table))
        columns = zip(*game.rows, strict=True)
        arrays = [
            pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)
        ]
        batch = pa.Table.from_arrays(arrays, schema=schema)
        connection = self._writable()
        where = f"{table.partition_column} = $game_date AND game_id = $game_id"
        key = {"game_date": game.game_date, "game_id": game.game_id}
        connection.begin()
        try:
            row = connection.execute(f"SELECT COUNT(*) FROM {name} WHERE {where}", key).fetchone()
            loaded = int(row[0]) if row else 0
            if loaded > len(game.rows) and not fewer:
                raise FewerRows(loaded, len(game.rows))
            connection.execute(f"DELETE FROM {name} WHERE {where}", key)
            connection.register(_BATCH_VIEW, batch)
            connection.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {_BATCH_VIEW}")
            connection.commit()
        except duckdb.Error as exc:
            connection.rollback()
            # A Ctrl-C during the statement is the interrupt it is, not a game refused.
            raise_if_signalled(exc)
            raise WarehouseError(f"{name}: {_first_line(exc)}") from exc
        except BaseException as exc:
            connection.rollback()
            raise_if_signalled(exc)
            raise
        finally:
            connection.unregister(_BATCH_VIEW)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(self.path))
        except (OSError, duckdb.Error) as exc:
            raise ConfigError(f"cannot open warehouse {self.path}: {_first_line(exc)}") from exc

    def _writable(self) -> duckdb.DuckDBPyConnection:
        """The connection, with the raw tables created: on the first write only."""
        if self._connection is None:
            self._connection = self._connect()
        if not self._prepared:
            try:
                self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_DATASET}")
                for table in RAW_TABLES:
                    self._connection.execute(to_duckdb(table.ddl.text))
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot prepare {self.path}: {_first_line(exc)}") from exc
            self._prepared = True
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def __enter__(self) -> RawWarehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Loader:
    """Merges parsed files into games, writes them in game_date order, keeps the tally.

    ``key`` names the columns that identify a row within the table (an event id, a
    player of a game); two rows with the same key reject their game, so a file given
    twice or overlapping shards never double a game. A game may span several files
    passed to one ``load`` (sharded exports); a game already written by an earlier
    ``load`` of the same run is rejected rather than silently replaced. A game is never
    replaced by fewer rows than it holds unless ``fewer`` (``--replace``): a copy cut short
    would otherwise pass for the game.
    """

    def __init__(
        self,
        warehouse: RawWarehouse,
        table: PartitionedTable,
        key: Sequence[str],
        noun: str,
        *,
        fewer: bool = False,
    ) -> None:
        self.warehouse = warehouse
        self.fewer = fewer
        self.table = table
        names = [column.name for column in table_columns(table)]
        self._key = [names.index(column) for column in key]
        self._key_names = tuple(key)
        self._written: dict[str, Path] = {}
        self._refused: set[str] = set()
        self.report = IngestReport(noun=noun)

    def load(self, reads: Sequence[FileRead]) -> None:
        report = self.report
        rejected: set[str] = set()
        for read in reads:
            report.problems.extend(read.problems)
            report.problems.extend(
                Problem(read.path, None, f"game {game_id} not written: malformed rows")
                for game_id in sorted(read.bad_games)
            )
            report.rows_rejected += read.rows_rejected
            rejected |= read.bad_games
            if not read.readable and read.game_id is not None:
                rejected.add(read.game_id)
        games = self._merge(reads, rejected)
        for game in sorted(games, key=lambda g: (g.game_date, g.game_id)):
            if game.game_id in rejected or not self._check(game):
                rejected.add(game.game_id)
                continue
            try:
                self.warehouse.replace_game(self.table, game, fewer=self.fewer)
            except FewerRows as exc:
                report.problems.append(
                    Problem(
                        game.sources[0][0],
                        None,
                        f"game {game.game_id} not written: it holds {exc.loaded} {report.noun}, "
                        f"this copy {exc.new}; pass --replace to replace it with fewer",
                    )
                )
                rejected.add(game.game_id)
                continue
            except WarehouseError as exc:
                report.problems.append(
                    Problem(game.sources[0][0], None, f"game {game.game_id} not written: {exc}")
                )
                rejected.add(game.game_id)
                continue
            self._written[game.game_id] = game.sources[0][0]
            report.games_loaded += 1
            report.rows_loaded += len(game.rows)
            report.kept.update(game.oddities)
            logger.info("%s: %d %s", game.game_id, len(game.rows), report.noun)
        report.games_rejected += len(rejected)
        for read in reads:
            if read.readable and not read.problems and not read.game_ids & rejected:
                report.files_loaded += 1
            else:
                report.files_rejected += 1

    def refuse(self, path: Path, game_id: str, message: str) -> None:
        """Count a file refused before reading its rows, with its game (once per game)."""
        self.report.problems.append(Problem(path, None, message))
        self.report.files_rejected += 1
        if game_id not in self._refused:
            self._refused.add(game_id)
            self.report.games_rejected += 1

    def _merge(self, reads: Sequence[FileRead], rejected: set[str]) -> list[GameRows]:
        """One GameRows per game across ``reads``; a game found on two dates is rejected."""
        merged: dict[str, GameRows] = {}
        for read in reads:
            for game_id, part in read.games.items():
                game = merged.get(game_id)
                if game is None:
                    merged[game_id] = GameRows(
                        game_id,
                        part.game_date,
                        list(part.rows),
                        list(part.sources),
                        Counter(part.oddities),
                    )
                elif game.game_date != part.game_date:
                    self.report.problems.append(
                        Problem(
                            read.path,
                            None,
                            f"game {game_id} is dated {part.game_date} here but {game.game_date} "
                            f"in {game.sources[0][0]}",
                        )
                    )
                    rejected.add(game_id)
                else:
                    game.rows.extend(part.rows)
                    game.sources.extend(part.sources)
                    game.oddities.update(part.oddities)
        return list(merged.values())

    def _check(self, game: GameRows) -> bool:
        """False (with the problem reported) if the game repeats a key or was already written."""
        earlier = self._written.get(game.game_id)
        if earlier is not None:
            self.report.problems.append(
                Problem(
                    game.sources[0][0],
                    None,
                    f"game {game.game_id} was already loaded from {earlier} in this run",
                )
            )
            return False
        first_seen: dict[tuple[object, ...], tuple[Path, int]] = {}
        for row, source in zip(game.rows, game.sources, strict=True):
            key = tuple(row[index] for index in self._key)
            if key in first_seen:
                path, line = first_seen[key]
                self.report.problems.append(
                    Problem(
                        source[0],
                        source[1],
                        f"duplicate {_describe(self._key_names, key)} (first at {path}:{line}); "
                        f"game {game.game_id} not written",
                    )
                )
                self.report.rows_rejected += 1
                return False
            first_seen[key] = source
        return True


def _describe(names: Sequence[str], values: tuple[object, ...]) -> str:
    """``_describe(("game_id", "player_lookup"), ("G1", "x"))`` is "game_id=G1, player_lookup=x"."""
    return ", ".join(f"{name}={value}" for name, value in zip(names, values, strict=True))


def _can_create(path: Path) -> bool:
    """Whether ``path`` could be created: its nearest existing directory is writable."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
