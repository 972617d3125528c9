"""What parsing a file yields and what a run reports: the types every ingest module shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

Row = tuple[Any, ...]
"""One raw-table row, values in the table's column order (tuples keep big exports small)."""

# A file whose every row is malformed would flood the terminal: list the first few only.
MAX_ROW_PROBLEMS_LISTED = 5


class UnreadableFile(Exception):
    """The file cannot be read as CSV at all (missing, not gzip, not UTF-8, NUL bytes...).

    ``line`` is where reading failed, when known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Problem:
    """Why a file, game or row was rejected, pointing at the file (and line) to fix."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Oddity:
    """A kind of harmless oddity: rows of it are kept, normalised as ``kept_as`` says, and counted.

    Real files are messier than fixtures; refusing a game for a row that can still be placed
    loses the whole game, so such rows are kept and the summary says how many of each kind:
    ``Oddity("row", "with an unreadable shot_distance", "shot_distance NULL").describe(2)`` is
    "2 rows with an unreadable shot_distance kept (shot_distance NULL)".
    """

    noun: str
    detail: str
    kept_as: str

    def describe(self, count: int) -> str:
        head = " ".join(part for part in (_count(count, self.noun), self.detail) if part)
        return f"{head} kept ({self.kept_as})"


@dataclass
class GameRows:
    """The rows of one game, each with the file line it came from, and its oddities by kind."""

    game_id: str
    game_date: date
    rows: list[Row] = field(default_factory=list)
    sources: list[tuple[Path, int]] = field(default_factory=list)
    oddities: Counter[Oddity] = field(default_factory=Counter)

    def add(self, row: Row, path: Path, line: int, oddities: Iterable[Oddity] = ()) -> None:
        """Add a row; each kind of oddity it shows counts once, however many fields show it."""
        self.rows.append(row)
        self.sources.append((path, line))
        self.oddities.update(set(oddities))


@dataclass
class FileRead:
    """Everything one file yielded.

    ``games`` holds the games whose rows could all be placed; ``bad_games`` the games with
    at least one malformed row (none of their rows are kept). ``readable`` is False when
    the file as a whole was rejected (unreadable, missing columns, unknown game, not whole);
    ``game_id`` is the one game the file holds, when known, kept when the file is rejected.
    """

    path: Path
    game_id: str | None = None
    games: dict[str, GameRows] = field(default_factory=dict)
    bad_games: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    rows_rejected: int = 0
    readable: bool = True

    def reject_file(self, message: str, line: int | None = None) -> FileRead:
        """Drop everything read so far: the file is rejected whole."""
        self.games.clear()
        self.bad_games.clear()
        self.problems.append(Problem(self.path, line, message))
        self.readable = False
        return self

    def reject_row(self, line: int, game_id: str | None, message: str) -> None:
        """Count a malformed row; its game, when known, is rejected whole."""
        self.rows_rejected += 1
        if self.rows_rejected <= MAX_ROW_PROBLEMS_LISTED:
            self.problems.append(Problem(self.path, line, message))
        elif self.rows_rejected == MAX_ROW_PROBLEMS_LISTED + 1:
            self.problems.append(Problem(self.path, None, "more malformed rows not listed"))
        if game_id is not None:
            self.bad_games.add(game_id)
            self.games.pop(game_id, None)

    @property
    def game_ids(self) -> set[str]:
        return set(self.games) | self.bad_games


@dataclass
class IngestReport:
    """The tally of one run; ``summary()`` is the line the CLI prints.

    A file counts as loaded when every game it holds was written, as rejected otherwise
    (wholly or in part); ``noun`` names the rows ("events" for play-by-play). ``kept``
    counts the oddities of the rows written, by kind; they never make a run fail.
    """

    noun: str
    files_loaded: int = 0
    files_rejected: int = 0
    games_loaded: int = 0
    games_rejected: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    kept: Counter[Oddity] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not (self.files_rejected or self.games_rejected or self.rows_rejected)

    def summary(self) -> str:
        """The tally, then each kind of oddity kept (in a fixed order), if any."""
        tally = (
            f"loaded {_count(self.files_loaded, 'file')}, {_count(self.games_loaded, 'game')}, "
            f"{_count(self.rows_loaded, self.noun)}; "
            f"rejected {_count(self.files_rejected, 'file')}, "
            f"{_count(self.games_rejected, 'game')}, {_count(self.rows_rejected, 'row')}"
        )
        kinds = sorted(self.kept, key=lambda oddity: (oddity.noun, oddity.detail))
        if not kinds:
            return tally
        return f"{tally}; " + ", ".join(oddity.describe(self.kept[oddity]) for oddity in kinds)


def _count(number: int, noun: str) -> str:
    """``_count(1, "events")`` is "1 event", ``_count(2, "row")`` is "2 rows"."""
    singular = noun.removesuffix("s")
    return f"{number} {singular if number == 1 else singular + 's'}"
