"""A failed day's cause in one line: what went wrong and, for a bug, where.

A WarehouseError or ConfigError is an expected failure whose message already says what to
do. Any other exception is a bug in a job (a KeyError in a processor): its line names the
type and the innermost frame in the project's own code, so the failed-day record and the
summary show where it broke without ``--debug`` (the log file keeps the whole traceback).

``KeyError: 'games' (at backfill_jobs/.../processor.py:98 in check_day)``
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

from shared.errors import BackfillError


def describe_error(exc: BaseException, packages: Iterable[str] = ("shared",)) -> str:
    """One line for the log and the checkpoint; unexpected errors keep their type name and
    the place they were raised in ``packages`` (top-level package names)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, BackfillError):
        return text
    place = where(exc, packages)
    return f"{type(exc).__name__}: {text}" + (f" (at {place})" if place else "")


def same_cause(first: BaseException, second: BaseException) -> bool:
    """Whether two failures are one error, not one per day: the same type and message (a
    message that names its day differs from day to day)."""
    return type(first) is type(second) and str(first) == str(second)


def where(exc: BaseException, packages: Iterable[str]) -> str | None:
    """``path/to/module.py:LINE in function`` for the innermost frame of ``exc``'s traceback
    that lies in one of ``packages`` (the path relative to the package's parent), or None."""
    roots = [root for name in packages if (root := _package_root(name)) is not None]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        for root in roots:
            if path.is_relative_to(root):
                relative = path.relative_to(root.parent).as_posix()
                return f"{relative}:{frame.lineno} in {frame.name}"
    return None


def _package_root(name: str) -> Path | None:
    module = sys.modules.get(name)
    locations = getattr(module, "__path__", None)
    return Path(next(iter(locations))).resolve() if locations else None
