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

Reading is strict: a file of the wrong shape (a day record that is a string,
``"attempts": "x"``, ``runs`` that is not a list) is reported as corrupt with the
field at fault, never half-used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from shared.backfill.fingerprints import Fingerprint
from shared.backfill.results import DayResult, DayStatus
from shared.errors import CheckpointError
from shared.warehouse.base import JobCost

SCHEMA_VERSION = 1
WRITE_INTERVAL_S = 0.2
DONE_STATUSES = frozenset({DayStatus.SUCCESS, DayStatus.SKIPPED})


def checkpoint_path(directory: Path, job: str, start: date, end: date, warehouse: str) -> Path:
    """One file per job, range and warehouse: two warehouses never share (or refuse) one."""
    key = hashlib.sha256(warehouse.encode()).hexdigest()[:8]
    return directory / f"{job}_{start.isoformat()}_{end.isoformat()}_{key}.json"


def now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="microseconds")


def _int(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = data.get(key, default)
    if type(value) is not int or value < 0:
        raise ValueError(f"{key} is {value!r}, expected a whole number >= 0")
    return value


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if type(value) not in (int, float) or value != value:
        raise ValueError(f"{key} is {value!r}, expected a number")
    return float(value)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} is {value!r}, expected text")
    return value


def _moment(data: Mapping[str, Any], key: str) -> datetime | None:
    text = _text(data, key)
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status.value,
            "rows": self.rows,
            "units": self.units,
            "attempts": self.attempts,
            "duration_s": round(self.duration_s, 3),
            "started_at": _stamp(self.started_at),
            "finished_at": _stamp(self.finished_at),
        }
        if self.coverage is not None:
            data["coverage"] = round(self.coverage, 4)
        if self.error is not None:
            data["error"] = self.error
        if self.inputs is not None:
            data["inputs"] = {name: fp.to_json() for name, fp in self.inputs.items()}
        if self.version is not None:
            data["version"] = self.version
        if self.cost is not None:
            data["bytes_processed"] = self.cost.bytes_processed
            data["bytes_billed"] = self.cost.bytes_billed
            data["slot_ms"] = self.cost.slot_ms
        return data

    @classmethod
    def from_json(cls, data: Any) -> DayRecord:
        if not isinstance(data, dict):
            raise ValueError(f"the record is {data!r}, expected an object")
        status = data.get("status")
        if status not in {s.value for s in DayStatus}:
            raise ValueError(f"unknown status {status!r}")
        inputs = data.get("inputs")
        if inputs is not None and not isinstance(inputs, dict):
            raise ValueError(f"inputs is {inputs!r}, expected an object")
        cost = None
        if "bytes_billed" in data:
            cost = JobCost(
                _int(data, "bytes_processed"), _int(data, "bytes_billed"), _int(data, "slot_ms")
            )
        return cls(
            status=DayStatus(status),
            rows=_int(data, "rows"),
            units=_int(data, "units"),
            attempts=_int(data, "attempts"),
            duration_s=_number(data, "duration_s") or 0.0,
            started_at=_moment(data, "started_at"),
            finished_at=_moment(data, "finished_at"),
            coverage=_number(data, "coverage"),
            error=_text(data, "error"),
            inputs=None
            if inputs is None
            else {str(name): Fingerprint.from_json(fp) for name, fp in inputs.items()},
            version=_text(data, "version"),
            cost=cost,
        )


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
    created_at: str = field(default_factory=lambda: _stamp(now()) or "")
    updated_at: str = field(default_factory=lambda: _stamp(now()) or "")

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

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "job": self.job,
            "range": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "warehouse": self.warehouse,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "stats": self.stats(),
            "runs": self.runs,
            "days": {day.isoformat(): self.days[day].to_json() for day in sorted(self.days)},
        }

    @classmethod
    def from_json(cls, data: Any) -> CheckpointState:
        """The state in a parsed file; ValueError naming the first field of the wrong shape."""
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"not a schema_version {SCHEMA_VERSION} checkpoint")
        job, bounds, days, runs = (
            data.get("job"),
            data.get("range"),
            data.get("days"),
            data.get("runs", []),
        )
        if not isinstance(job, str) or not isinstance(bounds, dict):
            raise ValueError("job or range missing")
        if not isinstance(days, dict):
            raise ValueError(f"days is {days!r}, expected an object of day records")
        if not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs):
            raise ValueError(f"runs is {runs!r}, expected a list of run records")
        records: dict[date, DayRecord] = {}
        for key, record in days.items():
            try:
                records[date.fromisoformat(key)] = DayRecord.from_json(record)
            except ValueError as exc:
                raise ValueError(f"day {key}: {exc}") from None
        created, updated = data.get("created_at"), data.get("updated_at")
        warehouse = _text(data, "warehouse")
        return cls(
            job=job,
            start=date.fromisoformat(str(bounds.get("start"))),
            end=date.fromisoformat(str(bounds.get("end"))),
            days=records,
            runs=runs,
            warehouse=warehouse,
            created_at=created if isinstance(created, str) else "",
            updated_at=updated if isinstance(updated, str) else "",
        )


def read_checkpoint(path: Path) -> CheckpointState | None:
    """The state in ``path`` (None if absent); never takes the run lock."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CheckpointError(f"checkpoint {path} is a directory, not a file") from None
    except OSError as exc:
        raise CheckpointError(
            f"checkpoint {path} is unreadable ({exc.strerror}); check its permissions"
        ) from exc
    except UnicodeDecodeError as exc:
        raise _corrupt(path, "not UTF-8 text") from exc
    try:
        return CheckpointState.from_json(json.loads(text))
    except (ValueError, RecursionError) as exc:
        raise _corrupt(path, str(exc)) from exc


def _corrupt(path: Path, why: str) -> CheckpointError:
    why = " ".join(why.split())[:200]
    return CheckpointError(
        f"checkpoint {path} is corrupt ({why}); nothing was run. Move it aside "
        f"(mv {path} {path}.bad) to start this range over, or rerun with --no-resume"
    )


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


def _remove_leftover_temp_files(path: Path) -> None:
    """Temp files of a write killed before its rename (only ever ours: called under the lock)."""
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        leftover.unlink(missing_ok=True)


def set_aside(path: Path) -> Path | None:
    """Rename the file to a ``.bak`` name no earlier backup has; None if there was no file."""
    if not path.exists():
        return None
    stamp = now().strftime("%Y%m%dT%H%M%S%f")
    for attempt in range(1000):
        suffix = f".{stamp}.bak" if attempt == 0 else f".{stamp}-{attempt}.bak"
        backup = path.with_name(path.name + suffix)
        if not backup.exists():
            os.replace(path, backup)
            return backup
    raise CheckpointError(f"cannot find a free backup name for {path}; clean up old .bak files")


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold the process-level lock of a checkpoint, or refuse naming the holder's PID."""
    lock_path = path.with_suffix(".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise CheckpointError(
            f"cannot create {lock_path} ({exc.strerror}); pass a writable --checkpoint-dir"
        ) from exc
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
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError as exc:
            raise CheckpointError(
                f"cannot write {lock_path} ({exc.strerror}); free space in --checkpoint-dir"
            ) from exc
        _remove_leftover_temp_files(path)
        yield
    finally:
        # A PID that could not be written would fail again here; the error above says why.
        with suppress(OSError):
            handle.close()


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
                self._state.updated_at = _stamp(now()) or ""
                # Day records are immutable, so shallow copies are a consistent snapshot;
                # serialising it outside the lock keeps recorders from waiting.
                state = replace(
                    self._state, days=dict(self._state.days), runs=list(self._state.runs)
                )
                self._dirty = False
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Compact: the standard library's indenting encoder is pure Python, twice as slow.
                _write_atomically(self.path, json.dumps(state.to_json(), separators=(",", ":")))
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
