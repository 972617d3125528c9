"""What a checkpoint holds: each day's latest outcome and the runs, as plain values.

No I/O and no locks here: the file format is ``checkpoint_schema``, the file handling
``checkpoint_file`` and the writer that records from many threads ``checkpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from shared.backfill.fingerprints import Fingerprint
from shared.backfill.results import DayStatus
from shared.warehouse.base import JobCost

DONE_STATUSES = frozenset({DayStatus.SUCCESS, DayStatus.SKIPPED})


def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class DayRecord:
    """A day's latest outcome as the checkpoint keeps it.

    The journal's view: whether a day is current is decided by its rows' lineage; ``inputs``
    and ``version`` decide it only for a day that holds no rows.
    """

    status: DayStatus
    rows: int = 0
    units: int = 0
    attempts: int = 0
    duration_s: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    coverage: float | None = None
    error: str | None = None
    inputs: dict[str, Fingerprint] | None = None
    version: str | None = None
    cost: JobCost | None = None

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES


@dataclass
class CheckpointState:
    """What the file holds; pure data, no locks (the reader side of the checkpoint)."""

    job: str
    start: date
    end: date
    days: dict[date, DayRecord] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    # The warehouse identity the days were written to, set before the first day is.
    warehouse: str | None = None
    created_at: str = field(default_factory=lambda: stamp(now()))
    updated_at: str = field(default_factory=lambda: stamp(now()))

    @property
    def done(self) -> set[date]:
        return {day for day, record in self.days.items() if record.done}

    @property
    def warehouses(self) -> set[str]:
        """Every warehouse identity this file names (older files only in their runs)."""
        named = {str(run["warehouse"]) for run in self.runs if run.get("warehouse")}
        return named | ({self.warehouse} if self.warehouse else set())

    @property
    def failed(self) -> dict[date, DayRecord]:
        return {d: r for d, r in self.days.items() if r.status is DayStatus.FAILED}

    def stats(self) -> dict[str, int]:
        counts = {status.value: 0 for status in DayStatus}
        for record in self.days.values():
            counts[record.status.value] += 1
        return {**counts, "rows": sum(record.rows for record in self.days.values())}
