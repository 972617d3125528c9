"""What an entry script checks before importing the project: the interpreter it runs on.

Standard library only, so it works on the system python3 that lacks the project's packages
and tells the user, in one line, to use the project's virtualenv instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import NoReturn

MINIMUM_PYTHON = (3, 11)
_STOPS = (signal.SIGINT, signal.SIGTERM)


def wrong_interpreter(exc: ImportError | None = None) -> NoReturn:
    """One line naming the fix, exit 2 (a usage error, like any other)."""
    what = (
        f"{exc.name} is not installed for {sys.executable}"
        if isinstance(exc, ModuleNotFoundError) and exc.name
        else f"{sys.executable} (Python {sys.version.split()[0]}) cannot run this"
    )
    print(
        f"error: {what}; run `make venv` and use .venv/bin/python (or the console script)",
        file=sys.stderr,
    )
    raise SystemExit(2)


def interrupted_while_starting() -> NoReturn:
    """Ctrl-C or SIGTERM before the command started: nothing ran, exit 130 as for any stop."""
    print("interrupted while starting: nothing was run", file=sys.stderr)
    raise SystemExit(130)


def raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    """A signal handler: SIGTERM (or any stop) interrupts as Ctrl-C does."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, then act as they would have. For loading
    native libraries: a KeyboardInterrupt raised inside duckdb's module initialisation aborts
    the process ("Critical nanobind error", exit -6). Outside the main thread, where no
    handler runs, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _: arrived.append(signum)) for sig in _STOPS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for signum in dict.fromkeys(arrived):
        handler = previous[signal.Signals(signum)]
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), signum)


def check_interpreter() -> None:
    """Before the project's imports: the right interpreter, and SIGTERM interrupting as
    Ctrl-C does (the imports take a moment, and a stop then is an interrupt too)."""
    signal.signal(signal.SIGTERM, raise_interrupt)
    if sys.version_info < MINIMUM_PYTHON:
        wrong_interpreter()


def finish(command: Callable[[], int]) -> int:
    """Run the command, then ignore SIGINT and SIGTERM: they have nothing left to stop, and
    during the interpreter's shutdown (which puts the default handlers back in place of
    Python's) they would kill the process (exit -2 or -15) instead of leaving its exit code.
    A signal landing after the command's own handler, before they were ignored, is an
    interrupt (exit 130) without a traceback."""
    try:
        code = command()
        _ignore_signals()
    except KeyboardInterrupt:
        _ignore_signals()
        print("interrupted as the command ended", file=sys.stderr)
        code = 130
    return code


def _ignore_signals() -> None:
    # An ignored signal that already arrived is dropped: Python runs the handler in place when
    # it gets to it, and that handler is now SIG_IGN.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
