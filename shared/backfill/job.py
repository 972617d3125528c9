"""What the engine needs from a job: which days have work, what they read, how to process some."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from shared.backfill.fingerprints import Source
from shared.backfill.results import DayResult


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
    # The raw inputs whose fingerprints are recorded with every written day (may be empty).
    sources: Sequence[Source]

    def prepare(self) -> None:
        """Check the sources exist and create the target if missing (before any work)."""
        ...

    def day_counts(self, start: date, end: date) -> Mapping[date, DayCounts]:
        """Each day of [start, end] with work or rows: its units of work and the rows the
        target holds (one query). Days with neither are absent."""
        ...

    def process(self, days: Sequence[date]) -> Sequence[DayResult]:
        """Compute and atomically replace the target rows of ``days``; one result per day.

        Days without work come back SKIPPED and keep no stale rows. Raises on failure,
        leaving every day's previous rows intact.
        """
        ...
