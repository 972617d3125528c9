"""The checkpoint on disk: where it lives, reading it strictly, replacing it atomically,
setting it aside, and the process lock.

Writes are atomic (temp file, fsync, ``os.replace``): a crash leaves the previous or the
new file, never half of one. A second process is kept out by an exclusive ``flock`` on a
sibling ``.lock`` file, which the kernel releases even on ``kill -9``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

from shared.backfill.checkpoint_schema import parse_state
from shared.backfill.checkpoint_state import CheckpointState, now
from shared.errors import CheckpointError


def checkpoint_path(directory: Path, job: str, start: date, end: date, warehouse: str) -> Path:
    """One file per job, range and warehouse: two warehouses never share (or refuse) one."""
    key = hashlib.sha256(warehouse.encode()).hexdigest()[:8]
    return directory / f"{job}_{start.isoformat()}_{end.isoformat()}_{key}.json"


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
        return parse_state(text)
    except ValueError as exc:
        raise _corrupt(path, str(exc)) from exc


def _corrupt(path: Path, why: str) -> CheckpointError:
    why = " ".join(why.split())[:300]
    return CheckpointError(
        f"checkpoint {path} is corrupt ({why}); nothing was run. Move it aside "
        f"(mv {path} {path}.bad) to start this range over, or rerun with --no-resume"
    )


def write_atomically(path: Path, payload: str) -> None:
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
