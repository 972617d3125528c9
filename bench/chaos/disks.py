"""Directories that refuse writes: read-only, or on a full (or filling) disk.

As root, permissions do not stop writes, so both are small tmpfs mounts (read-only by a
remount); a full disk needs a mount of its own anyway. Without root a read-only directory
is a chmod, and a full disk cannot be made: those cases are skipped with a note.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

# Big enough for a few weeks' checkpoint (tens of KiB) and its temp copy.
TMPFS_SIZE_KB = 1024


class Skip(Exception):
    """A case that cannot be staged on this machine; the message says why."""


@cache
def mount_problem() -> str | None:
    """Why a tmpfs cannot be mounted here, or None if it can (probed once)."""
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs (CI runs as root)"
    probe = Path(f"/tmp/chaos-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        _mount(probe)
    except OSError as exc:
        return f"cannot mount a tmpfs here ({exc}); run as root on a machine that allows it"
    finally:
        _unmount(probe)
        probe.rmdir()
    return None


@contextmanager
def tmpfs(path: Path) -> Iterator[Path]:
    """A small, empty tmpfs mounted at ``path`` for the duration."""
    problem = mount_problem()
    if problem:
        raise Skip(problem)
    path.mkdir(parents=True, exist_ok=True)
    _mount(path)
    try:
        yield path
    finally:
        _unmount(path)


@contextmanager
def read_only(path: Path, contents: dict[str, bytes]) -> Iterator[Path]:
    """A directory holding ``contents`` that refuses every write, even root's."""
    if os.geteuid() != 0:
        path.mkdir(parents=True, exist_ok=True)
        _fill_with(path, contents)
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    with tmpfs(path):
        _fill_with(path, contents)
        _run(["mount", "-o", "remount,ro", str(path)])
        yield path


@contextmanager
def full(path: Path, contents: dict[str, bytes]) -> Iterator[Path]:
    """A directory holding ``contents`` on a disk with no space left."""
    with tmpfs(path):
        _fill_with(path, contents)
        fill_up(path)
        yield path


def fill_up(path: Path) -> None:
    """Take every free block of the file system holding ``path``."""
    chunk = b"\0" * 65536
    with open(path / "filler", "wb", buffering=0) as handle:
        while True:
            try:
                handle.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]


def _fill_with(path: Path, contents: dict[str, bytes]) -> None:
    for name, data in contents.items():
        (path / name).write_bytes(data)


def _mount(path: Path) -> None:
    _run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE_KB}k", "tmpfs", str(path)])


def _unmount(path: Path) -> None:
    # Lazy: a process under test may still hold a file there for a moment after it was killed.
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"{command[0]} exited {done.returncode}")
