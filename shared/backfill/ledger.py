"""Every checkpoint of a job read as one record of days: the latest outcome per day wins.

A job's days are recorded in one checkpoint per range and warehouse
(``job_START_END_KEY.json``), so the same day may sit in several files. The checkpoints are a
journal: the newest record of a day is what status shows, and ``history`` keeps every record,
for the one decision the journal makes (whether a day that holds no rows was run from its
current inputs), which no clock may decide. Reading never takes a run lock, so this works while
a run is going.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from shared.backfill.checkpoint import CheckpointState, DayRecord, read_checkpoint
from shared.errors import CheckpointError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ledger:
    """``days``: each day's latest record; ``history``: all its records, oldest first;
    ``files``: the checkpoints read, in reading order."""

    days: dict[date, DayRecord] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    unreadable: tuple[str, ...] = ()
    last_run: dict[str, Any] | None = None
    history: dict[date, tuple[DayRecord, ...]] = field(default_factory=dict)

    @property
    def done(self) -> set[date]:
        return {day for day, record in self.days.items() if record.done}

    @classmethod
    def of(cls, states: Iterable[tuple[Path, CheckpointState]]) -> Ledger:
        days: dict[date, DayRecord] = {}
        history: dict[date, list[DayRecord]] = {}
        files: list[Path] = []
        runs: list[dict[str, Any]] = []
        for path, state in states:
            files.append(path)
            runs.extend(state.runs)
            for day, record in state.days.items():
                history.setdefault(day, []).append(record)
                if _newer(record, days.get(day)):
                    days[day] = record
        last_run = max(runs, key=lambda run: str(run.get("finished_at", "")), default=None)
        ordered = {
            day: tuple(sorted(records, key=lambda r: r is days[day]))
            for day, records in history.items()
        }
        return cls(days, tuple(files), (), last_run, ordered)


def _newer(record: DayRecord, current: DayRecord | None) -> bool:
    if current is None:
        return True
    if record.finished_at is None or current.finished_at is None:
        return current.finished_at is None
    return record.finished_at > current.finished_at


def job_checkpoints(directory: Path, job: str) -> list[Path]:
    """The checkpoints a job wrote in ``directory`` (backups and other jobs' files left out)."""
    if not directory.is_dir():
        return []
    prefix = f"{job}_"
    return sorted(
        path
        for path in directory.glob(f"{job}_*.json")
        if _is_range_suffix(path.name[len(prefix) : -len(".json")])
    )


def _is_range_suffix(text: str) -> bool:
    """``2021-10-01_2024-05-01_1a2b3c4d`` (or without the warehouse key, as older runs named
    them): keeps ``player_game_summary_*`` from matching ``player_game_summary_extra_*``."""
    parts = text.split("_")
    if len(parts) == 3 and len(parts[2]) == 8 and all(c in "0123456789abcdef" for c in parts[2]):
        parts = parts[:2]
    if len(parts) != 2:
        return False
    try:
        date.fromisoformat(parts[0])
        date.fromisoformat(parts[1])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Checkpoints:
    """Every readable checkpoint of a job in a directory, read once; ``unreadable`` names the
    corrupt ones skipped."""

    states: tuple[tuple[Path, CheckpointState], ...]
    unreadable: tuple[str, ...] = ()

    def ledger(self, warehouse: str | None = None) -> Ledger:
        """The merged record; with ``warehouse``, of the checkpoints written to it only (a run
        must not take another warehouse's days as done)."""
        kept = [
            (path, state)
            for path, state in self.states
            if warehouse is None or not state.warehouses - {warehouse}
        ]
        merged = Ledger.of(kept)
        return replace(merged, unreadable=self.unreadable)


def read_checkpoints(directory: Path, job: str, *, strict: bool = True) -> Checkpoints:
    """``strict``: a corrupt checkpoint is an error (runs); otherwise it is skipped and named
    (status)."""
    states: list[tuple[Path, CheckpointState]] = []
    unreadable: list[str] = []
    for path in job_checkpoints(directory, job):
        try:
            state = read_checkpoint(path)
        except CheckpointError as exc:
            if strict:
                raise
            unreadable.append(str(exc))
            continue
        if state is not None and state.job == job:
            states.append((path, state))
    return Checkpoints(tuple(states), tuple(unreadable))


def read_ledger(
    directory: Path, job: str, *, warehouse: str | None = None, strict: bool = True
) -> Ledger:
    """The merged record of ``job``'s checkpoints in ``directory`` (see ``Checkpoints``)."""
    return read_checkpoints(directory, job, strict=strict).ledger(warehouse)
