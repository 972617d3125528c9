"""Typed outcomes: what happened to one day, and to a whole run."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from shared.backfill.fingerprints import Fingerprint
from shared.warehouse.base import JobCost, Shrink


class DayStatus(enum.Enum):
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    # Not written: the new rows would be fewer than the table holds (its rows kept as they
    # were); ``error`` says what would be lost and where the input went missing.
    HELD = "held"


@dataclass(frozen=True)
class DayResult:
    """One day's outcome, recorded in the checkpoint only after its write committed.

    ``coverage`` is the job's own quality ratio for the day (for player_game_summary:
    the share of players with minutes that carry shot zones); None when not defined.
    ``started_at`` is when the batch that wrote the day began (journal only: no clock decides
    whether a day is current). ``inputs`` are the fingerprints of its sources taken before
    the run and ``version`` the transform version: the journal's word on a day that holds no
    rows (a day with rows says both itself); ``cost`` its share of what the warehouse billed.
    """

    day: date
    status: DayStatus
    rows: int = 0
    units: int = 0
    coverage: float | None = None
    duration_s: float = 0.0
    error: str | None = None
    attempts: int = 1
    started_at: datetime | None = None
    inputs: Mapping[str, Fingerprint] | None = None
    version: str | None = None
    cost: JobCost | None = None
    # Shrinks written because the run accepted them (--allow-shrink).
    accepted: tuple[Shrink, ...] = ()


def describe_shrinks(shrinks: Sequence[Shrink], limit: int = 5) -> str:
    """``20230110_CHA_HOU 32 -> 0 rows, ...``: what a day would lose, unit by unit."""
    shown = ", ".join(f"{s.key} {s.before} -> {s.after} rows" for s in shrinks[:limit])
    return shown + (f" (+{len(shrinks) - limit} more)" if len(shrinks) > limit else "")


@dataclass
class RunOutcome:
    results: list[DayResult] = field(default_factory=list)
    # Stopped with days left undone (not started, or cancelled in flight).
    interrupted: bool = False
    # A stop came when every day left had already started, and all of them finished.
    stop_came_late: bool = False
    halt_reason: str | None = None
    elapsed_s: float = 0.0

    @property
    def failed(self) -> list[DayResult]:
        return sorted(
            (r for r in self.results if r.status is DayStatus.FAILED), key=lambda r: r.day
        )

    @property
    def held(self) -> list[DayResult]:
        return sorted((r for r in self.results if r.status is DayStatus.HELD), key=lambda r: r.day)


def share_cost(cost: JobCost | None, days: int) -> list[JobCost | None]:
    """A batch's cost split evenly over its days (the first day takes the remainders)."""
    if cost is None:
        return [None] * days
    share = JobCost(cost.bytes_processed // days, cost.bytes_billed // days, cost.slot_ms // days)
    first = JobCost(
        cost.bytes_processed - share.bytes_processed * (days - 1),
        cost.bytes_billed - share.bytes_billed * (days - 1),
        cost.slot_ms - share.slot_ms * (days - 1),
    )
    return [first, *[share] * (days - 1)]
