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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from shared.backfill.checkpoint import CheckpointState, DayRecord, read_checkpoint
from shared.errors import CheckpointError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ledger:
    """``days``: each day's latest record; ``history``: all its records, oldest first;
    ``files``: the checkpoints read, in reading order; ``last_range``: the range of the
    checkpoint that recorded ``last_run``."""

    days: dict[date, DayRecord] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    last_run: dict[str, Any] | None = None
    history: dict[date, tuple[DayRecord, ...]] = field(default_factory=dict)
    last_range: tuple[date, date] | None = None

    @property
    def done(self) -> set[date]:
        return {day for day, record in self.days.items() if record.done}

    @classmethod
    def of(cls, states: Iterable[tuple[Path, CheckpointState]]) -> Ledger:
        days: dict[date, DayRecord] = {}
        history: dict[date, list[DayRecord]] = {}
        files: list[Path] = []
        runs: list[tuple[str, dict[str, Any], tuple[date, date]]] = []
        for path, state in states:
            files.append(path)
            runs.extend(
                (str(run.get("finished_at", "")), run, (state.start, state.end))
                for run in state.runs
            )
            for day, record in state.days.items():
                history.setdefault(day, []).append(record)
                if _newer(record, days.get(day)):
                    days[day] = record
        # Runs finished in the same second: the later recorded wins.
        last = max(reversed(runs), key=lambda entry: entry[0], default=None)
        ordered = {
            day: tuple(sorted(records, key=lambda r: r is days[day]))
            for day, records in history.items()
        }
        return cls(
            days,
            tuple(files),
            None if last is None else last[1],
            ordered,
            None if last is None else last[2],
        )


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


def _named_range(path: Path, job: str) -> tuple[date, date]:
    """The range a checkpoint's name gives (``job_START_END_KEY.json``)."""
    start, end = path.name[len(job) + 1 : -len(".json")].split("_")[:2]
    return date.fromisoformat(start), date.fromisoformat(end)


def _mismatched(path: Path, job: str, state: CheckpointState) -> CheckpointError:
    named = "..".join(d.isoformat() for d in _named_range(path, job))
    return CheckpointError(
        f"checkpoint {path} is named for {job} {named} but holds {state.job} "
        f"{state.start}..{state.end}; nothing was run. Move it aside (mv {path} {path}.bad)"
    )


@dataclass(frozen=True)
class Checkpoints:
    """Every checkpoint of a job in a directory, read once."""

    states: tuple[tuple[Path, CheckpointState], ...]

    def ledger(self, warehouse: str | None = None) -> Ledger:
        """The merged record; with ``warehouse``, of the checkpoints written to it only (a run
        must not take another warehouse's days as done)."""
        kept = [
            (path, state)
            for path, state in self.states
            if warehouse is None or not state.warehouses - {warehouse}
        ]
        return Ledger.of(kept)


def read_checkpoints(directory: Path, job: str) -> Checkpoints:
    """Every checkpoint of ``job``; one that is corrupt, or holds another job or range than its
    name says, stops the command (CheckpointError): its days can be neither trusted nor left
    out, by a run or by status alike."""
    states: list[tuple[Path, CheckpointState]] = []
    for path in job_checkpoints(directory, job):
        state = read_checkpoint(path)
        if state is None:
            continue
        if (state.job, state.start, state.end) != (job, *_named_range(path, job)):
            raise _mismatched(path, job, state)
        states.append((path, state))
    return Checkpoints(tuple(states))


def read_ledger(directory: Path, job: str, *, warehouse: str | None = None) -> Ledger:
    """The merged record of ``job``'s checkpoints in ``directory`` (see ``Checkpoints``)."""
    return read_checkpoints(directory, job).ledger(warehouse)
