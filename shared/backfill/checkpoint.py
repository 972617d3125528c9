"""The checkpoint: the crash-safe record of finished days, one JSON file per job, date range
and warehouse, and the writer that records day outcomes into it from many threads.

Writes are coalesced: at most one every ``WRITE_INTERVAL_S``, each carrying every
outcome recorded since the last. Rewriting a 944-day file after each of 944 days
costs seconds of JSON and fsync; coalesced, 10,000 outcomes from 15 threads cost a
handful of writes. A ``kill -9`` loses at most that interval of outcomes, and those
days are simply redone on resume (writes are idempotent per day).

This module is the checkpoint's surface for the rest of the engine: the values it holds
(``checkpoint_state``), its file format (``checkpoint_schema``) and its file handling
(``checkpoint_file``) are named here too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from shared.backfill.checkpoint_file import (
    checkpoint_path,
    read_checkpoint,
    run_lock,
    set_aside,
    write_atomically,
)
from shared.backfill.checkpoint_schema import SCHEMA_VERSION, dump_state
from shared.backfill.checkpoint_state import (
    DONE_STATUSES,
    CheckpointState,
    DayRecord,
    now,
    stamp,
)
from shared.backfill.results import DayResult
from shared.errors import CheckpointError

__all__ = [
    "DONE_STATUSES",
    "SCHEMA_VERSION",
    "WRITE_INTERVAL_S",
    "Checkpoint",
    "CheckpointState",
    "DayRecord",
    "checkpoint_path",
    "now",
    "read_checkpoint",
    "run_lock",
    "set_aside",
]

WRITE_INTERVAL_S = 0.2


class Checkpoint:
    """The writer side: records day outcomes from many threads, durably.

    A write that fails (full disk, read-only directory) in the delayed writer thread is
    kept and raised, as one CheckpointError, by the next ``record`` or ``flush``, unless a
    later write succeeded first.
    """

    def __init__(self, path: Path, state: CheckpointState) -> None:
        self.path = path
        self._state = state
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._last_write = float("-inf")
        self._pending_write: threading.Timer | None = None
        self._write_error: CheckpointError | None = None

    @classmethod
    def load_or_create(cls, path: Path, job: str, start: date, end: date) -> Checkpoint:
        """Resume the range's checkpoint (a new, empty one if there is none)."""
        state = read_checkpoint(path)
        if state is None:
            state = CheckpointState(job=job, start=start, end=end)
        elif (state.job, state.start, state.end) != (job, start, end):
            raise CheckpointError(
                f"checkpoint {path} belongs to {state.job} {state.start}..{state.end}, "
                f"not {job} {start}..{end}; move it aside"
            )
        return cls(path, state)

    def bind_warehouse(self, identity: str) -> None:
        """Refuse a checkpoint written to another warehouse; name this one in it otherwise."""
        with self._lock:
            others = self._state.warehouses - {identity}
            if others:
                raise CheckpointError(
                    f"checkpoint {self.path} records runs on {sorted(others)[0]}, not "
                    f"{identity}; use another --checkpoint-dir or --no-resume"
                )
            if self._state.warehouse != identity:
                self._state.warehouse = identity
                self._dirty = True

    def snapshot(self) -> CheckpointState:
        with self._lock:
            return replace(self._state, days=dict(self._state.days), runs=list(self._state.runs))

    def record(self, results: Iterable[DayResult]) -> None:
        """Record days' final outcomes (after their write committed) and persist them soon."""
        self._raise_write_error()
        finished = now()
        with self._lock:
            for result in results:
                previous = self._state.days.get(result.day)
                self._state.days[result.day] = DayRecord(
                    status=result.status,
                    rows=result.rows,
                    units=result.units,
                    attempts=(previous.attempts if previous else 0) + result.attempts,
                    duration_s=result.duration_s,
                    started_at=result.started_at,
                    finished_at=finished,
                    coverage=result.coverage,
                    error=result.error,
                    inputs=None if result.inputs is None else dict(result.inputs),
                    version=result.version,
                    cost=result.cost,
                )
            self._dirty = True
        self._write_soon()

    def record_run(self, summary: dict[str, Any]) -> None:
        with self._lock:
            self._state.runs.append(summary)
            self._dirty = True
        self.flush()

    def _write_soon(self) -> None:
        """Write now if the last write is older than the interval, else within it."""
        with self._lock:
            if self._pending_write is not None:
                return
            delay = self._last_write + WRITE_INTERVAL_S - time.monotonic()
            if delay > 0:
                self._pending_write = threading.Timer(delay, self._write_pending)
                self._pending_write.daemon = True
                self._pending_write.start()
                return
        self._write(force=False)

    def _write_pending(self) -> None:
        with self._lock:
            self._pending_write = None
        try:
            self._write(force=False)
        except CheckpointError as exc:
            self._write_error = exc

    def _raise_write_error(self) -> None:
        if self._write_error is not None:
            raise self._write_error

    def _write(self, *, force: bool) -> None:
        with self._write_lock:
            with self._lock:
                if not (self._dirty or force):
                    return
                self._state.updated_at = stamp(now())
                # Day records are immutable, so shallow copies are a consistent snapshot;
                # serialising it outside the lock keeps recorders from waiting.
                state = replace(
                    self._state, days=dict(self._state.days), runs=list(self._state.runs)
                )
                self._dirty = False
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(self.path, dump_state(state))
            except OSError as exc:
                with self._lock:
                    self._dirty = True
                raise CheckpointError(
                    f"cannot write checkpoint {self.path} ({exc.strerror or exc}); free space "
                    f"or pass a writable --checkpoint-dir, then rerun: finished days are redone"
                ) from exc
            with self._lock:
                self._last_write = time.monotonic()
                # The disk took this whole state, so an earlier failure no longer matters.
                self._write_error = None

    def flush(self) -> None:
        """Persist everything recorded now (used when a run ends, however it ends)."""
        with self._lock:
            if self._pending_write is not None:
                self._pending_write.cancel()
                self._pending_write = None
        self._write(force=True)
