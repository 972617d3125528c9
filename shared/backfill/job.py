"""What the engine needs from a job: which days have work, what they read, how to process some."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from shared.backfill.fingerprints import Source
from shared.backfill.results import DayResult


class Job(Protocol):
    """A date-partitioned job. ``process`` gets consecutive calendar days."""

    name: str
    # The raw inputs whose fingerprints are recorded with every written day (may be empty).
    sources: Sequence[Source]

    def prepare(self) -> None:
        """Check the sources exist and create the target if missing (before any work)."""
        ...

    def work_units(self, start: date, end: date) -> Mapping[date, int]:
        """Days of [start, end] with work to do, and how many units each has (one query)."""
        ...

    def written_rows(self, start: date, end: date) -> Mapping[date, int]:
        """Rows the target holds per day of [start, end] (one grouped query; absent: none)."""
        ...

    def process(self, days: Sequence[date]) -> Sequence[DayResult]:
        """Compute and atomically replace the target rows of ``days``; one result per day.

        Days without work come back SKIPPED and keep no stale rows. Raises on failure,
        leaving every day's previous rows intact.
        """
        ...
