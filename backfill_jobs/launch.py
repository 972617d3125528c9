"""A job's entry script in one call (``start``): above the engine, so the engine's own
modules are imported only once the interpreter is checked and signals are handled."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from shared.entry import check_interpreter, interrupted_while_starting, wrong_interpreter

if TYPE_CHECKING:
    from shared.backfill.spec import JobSpec


def start(
    spec_module: str, caller: str
) -> tuple[JobSpec, Callable[[Sequence[str] | None], int], Callable[[], int]]:
    """A job's entry script in one call: check the interpreter, import the job's spec (named
    by module, so a wrong interpreter or a Ctrl-C during the imports is one line), and return
    the spec with its ``main(argv)`` and ``console()``; run as a script (``caller`` is
    ``__main__``), run the command and exit with its code."""
    check_interpreter()
    try:
        spec = importlib.import_module(spec_module).SPEC
        from shared.backfill.main import entry_points
    except ImportError as exc:  # the system python3 instead of the project's virtualenv
        wrong_interpreter(exc)
    except KeyboardInterrupt:
        interrupted_while_starting()
    main, console = entry_points(spec)
    if caller == "__main__":
        sys.exit(console())
    return spec, main, console
