"""The crash-safe record of finished days, one JSON file per job and date range.

Writes are atomic (temp file, fsync, ``os.replace``): a crash leaves the previous
or the new file, never half of one. Workers record through one thread lock; a
second process is kept out by an exclusive ``flock`` on a sibling ``.lock`` file,
which the kernel releases even on ``kill -9``.

Writes are coalesced: at most one every ``WRITE_INTERVAL_S``, each carrying every
outcome recorded since the last. Rewriting a 944-day file after each of 944 days
costs seconds of JSON and fsync; coalesced, 10,000 outcomes from 15 threads cost a
handful of writes. A ``kill -9`` loses at most that interval of outcomes, and those
days are simply redone on resume (writes are idempotent per day).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from shared.backfill.results import DayResult, DayStatus
from shared.errors import CheckpointError

SCHEMA_VERSION = 1
WRITE_INTERVAL_S = 0.2
DONE_STATUSES = frozenset({DayStatus.SUCCESS.value, DayStatus.SKIPPED.value})


def checkpoint_path(directory: Path, job: str, start: date, end: date) -> Path:
    return directory / f"{job}_{start.isoformat()}_{end.isoformat()}.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class CheckpointState:
    """What the file holds; pure data, no locks (the reader side of the checkpoint)."""

    job: str
    start: date
    end: date
    days: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    def days_with(self, statuses: frozenset[str]) -> set[date]:
        return {date.fromisoformat(d) for d, rec in self.days.items() if rec["status"] in statuses}

    @property
    def done(self) -> set[date]:
        return self.days_with(DONE_STATUSES)

    @property
    def failed(self) -> dict[date, dict[str, Any]]:
        return {
            date.fromisoformat(d): rec
            for d, rec in self.days.items()
            if rec["status"] == DayStatus.FAILED.value
        }

    def stats(self) -> dict[str, int]:
        counts = {
            status.value: 0 for status in (DayStatus.SUCCESS, DayStatus.FAILED, DayStatus.SKIPPED)
        }
        rows = 0
        for rec in self.days.values():
            counts[rec["status"]] = counts.get(rec["status"], 0) + 1
            rows += rec.get("rows", 0)
        return {**counts, "rows": rows}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "job": self.job,
            "range": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "stats": self.stats(),
            "runs": self.runs,
            "days": dict(sorted(self.days.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> CheckpointState:
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"not a schema_version {SCHEMA_VERSION} checkpoint")
        days = data["days"]
        for day, record in days.items():
            date.fromisoformat(day)
            if record.get("status") not in {s.value for s in DayStatus}:
                raise ValueError(f"day {day} has an unknown status {record.get('status')!r}")
        return cls(
            job=data["job"],
            start=date.fromisoformat(data["range"]["start"]),
            end=date.fromisoformat(data["range"]["end"]),
            days=days,
            runs=list(data.get("runs", [])),
            created_at=data.get("created_at", _now()),
            updated_at=data.get("updated_at", _now()),
        )


def read_checkpoint(path: Path) -> CheckpointState | None:
    """The state in ``path`` (None if absent); never takes the run lock."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CheckpointError(
            f"checkpoint {path} is unreadable ({exc.strerror}); check its permissions"
        ) from exc
    try:
        return CheckpointState.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"checkpoint {path} is corrupt ({exc}); nothing was run. Move it aside "
            f"(mv {path} {path}.bad) to start this range over, or rerun with --no-resume"
        ) from exc


def _write_atomically(path: Path, payload: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold the process-level lock of a checkpoint, or refuse naming the holder's PID."""
    lock_path = path.with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise CheckpointError(
                f"checkpoint {path.name} is in use by another backfill (PID {holder}); "
                f"wait for it to finish or stop it (kill {holder}), then rerun"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


class Checkpoint:
    """The writer side: records day outcomes from many threads, durably."""

    def __init__(self, path: Path, state: CheckpointState) -> None:
        self.path = path
        self._state = state
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._last_write = float("-inf")
        self._pending_write: threading.Timer | None = None

    @classmethod
    def load_or_create(
        cls, path: Path, job: str, start: date, end: date, *, fresh: bool = False
    ) -> Checkpoint:
        """Resume the range's checkpoint; ``fresh`` sets the old file aside instead of reading it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh and path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            os.replace(path, path.with_name(f"{path.name}.{stamp}.bak"))
        state = read_checkpoint(path)
        if state is None:
            state = CheckpointState(job=job, start=start, end=end)
        elif (state.job, state.start, state.end) != (job, start, end):
            raise CheckpointError(
                f"checkpoint {path} belongs to {state.job} {state.start}..{state.end}, "
                f"not {job} {start}..{end}; move it aside"
            )
        return cls(path, state)

    def snapshot(self) -> CheckpointState:
        with self._lock:
            return CheckpointState.from_json(json.loads(json.dumps(self._state.to_json())))

    def record(self, results: Iterable[DayResult]) -> None:
        """Record days' final outcomes (after their write committed) and persist them soon."""
        with self._lock:
            for result in results:
                key = result.day.isoformat()
                record: dict[str, Any] = {
                    "status": result.status.value,
                    "rows": result.rows,
                    "units": result.units,
                    "attempts": self._state.days.get(key, {}).get("attempts", 0) + result.attempts,
                    "duration_s": round(result.duration_s, 3),
                    "finished_at": _now(),
                }
                if result.coverage is not None:
                    record["coverage"] = round(result.coverage, 4)
                if result.error is not None:
                    record["error"] = result.error
                self._state.days[key] = record
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
        self._write(force=False)

    def _write(self, *, force: bool) -> None:
        with self._write_lock:
            with self._lock:
                if not (self._dirty or force):
                    return
                self._state.updated_at = _now()
                # Day records are replaced, never mutated, so shallow copies are a consistent
                # snapshot; serialising it outside the lock keeps recorders from waiting.
                state = replace(
                    self._state, days=dict(self._state.days), runs=list(self._state.runs)
                )
                self._dirty = False
            _write_atomically(self.path, json.dumps(state.to_json(), indent=1))
            with self._lock:
                self._last_write = time.monotonic()

    def flush(self) -> None:
        """Persist everything recorded now (used when a run ends, however it ends)."""
        with self._lock:
            if self._pending_write is not None:
                self._pending_write.cancel()
                self._pending_write = None
        self._write(force=True)
