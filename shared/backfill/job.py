"""What the engine needs from a job: which days have work, what they read, how to process some."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from shared.backfill.fingerprints import Fingerprint, Source
from shared.backfill.results import DayResult
from shared.backfill.staleness import Written
from shared.warehouse.base import Params
from shared.warehouse.sql import Sql


@dataclass(frozen=True)
class DayCounts:
    """A day as the warehouse sees it: ``units`` of work (0 with ``rows`` left: processing the
    day clears them) and the ``rows`` the target holds."""

    units: int
    rows: int


def work_units(counts: Mapping[date, DayCounts]) -> dict[date, int]:
    """The days with something to do, and how many units each has."""
    return {day: count.units for day, count in counts.items()}


class Job(Protocol):
    """A date-partitioned job. ``process`` gets consecutive calendar days."""

    name: str
    # The inputs whose digests every written row carries (may be empty).
    sources: Sequence[Source]

    @property
    def version(self) -> str:
        """The transform version every written row carries."""
        ...

    def check_sources(self) -> None:
        """Refuse (ConfigError, one line naming the fix) if a table the job reads is missing;
        reads only, so read-only commands (status --verify, validate, dry run) call it too."""
        ...

    def check_written(self) -> None:
        """Refuse (ConfigError) if the job's table does not exist yet: nothing to validate."""
        ...

    def prepare(self) -> None:
        """``check_sources``, then create the target if missing (before any work)."""
        ...

    def day_counts(self, start: date, end: date) -> Mapping[date, DayCounts]:
        """Each day of [start, end] with work or rows: its units of work and the rows the
        target holds (one query). Days with neither are absent."""
        ...

    def current_inputs(self, start: date, end: date) -> Mapping[date, Mapping[str, Fingerprint]]:
        """Each source's fingerprint per day, as the transform would read it now."""
        ...

    def written_lineage(self, start: date, end: date) -> Mapping[date, Sequence[Written]]:
        """What the rows of each day of [start, end] that has rows say about how they were made
        (one grouped query)."""
        ...

    def lineage_statements(self, start: date, end: date) -> Sequence[tuple[str, Sql, Params]]:
        """The statements the two above run, named (the dry run prices them)."""
        ...

    def accept_shrinks(self, days: Iterable[date]) -> None:
        """Write these days even where the new rows are fewer than the table holds."""
        ...

    def planned_with_rows(self, days: Iterable[date]) -> None:
        """The days the target held rows for when the run was planned (what a write could
        shrink)."""
        ...

    def reconcile(self, start: date, end: date) -> Mapping[date, Sequence[str]]:
        """Units that fell between two phases (a final game without box score or rows, a
        player-game without features), per day, for a person to look at."""
        ...

    def process(self, days: Sequence[date], *, bulk: bool = False) -> Sequence[DayResult]:
        """Compute and atomically replace the target rows of ``days``; one result per day.
        ``bulk``: a long range planned as one write (see ``Warehouse.bulk_write_days``).

        Days without work come back SKIPPED and keep no stale rows. Raises on failure,
        leaving every day's previous rows intact.
        """
        ...
