"""Typed outcomes: what happened to one day, and to a whole run."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class DayStatus(enum.Enum):
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class DayResult:
    """One day's outcome, recorded in the checkpoint only after its write committed.

    ``coverage`` is the job's own quality ratio for the day (for player_game_summary:
    the share of players with minutes that carry shot zones); None when not defined.
    """

    day: date
    status: DayStatus
    rows: int = 0
    units: int = 0
    coverage: float | None = None
    duration_s: float = 0.0
    error: str | None = None
    attempts: int = 1
