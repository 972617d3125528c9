"""A job's command with a round trip added to every statement, as a remote engine has: for
tests, benchmarks and drills, never a flag of the production command line.

    python -m tests.doubles.slow_job SECONDS <job script> <the job's arguments...>

Every warehouse the command opens is wrapped in ``LatencyWarehouse``; the job's script then
runs as it would on its own (printed commands name that script). SIGTERM interrupts from the
first line on, as in the job's script, so a signal during start-up is exit 130 in one line.
"""

from __future__ import annotations

import math
import runpy
import sys
from collections.abc import Sequence

from shared.entry import check_interpreter, interrupted_while_starting

# An hour per statement is already far past any drill.
MAX_LATENCY_S = 3600.0
USAGE = "usage: python -m tests.doubles.slow_job SECONDS SCRIPT [ARGS...]"


def interpreter_args(latency: float) -> list[str]:
    """What goes between the interpreter and a job's script to add ``latency`` (none: 0)."""
    return ["-m", "tests.doubles.slow_job", str(latency)] if latency else []


def main(argv: Sequence[str]) -> int:
    check_interpreter()
    try:
        seconds = float(argv[0]) if len(argv) >= 2 else math.nan
        if not 0 <= seconds <= MAX_LATENCY_S:  # also refuses nan
            print(f"error: SECONDS must be 0..{MAX_LATENCY_S:g}; {USAGE}", file=sys.stderr)
            return 2
        _add_latency(seconds)
        script, args = argv[1], argv[2:]
        sys.argv = [script, *args]
        runpy.run_path(script, run_name="__main__")  # the script exits with its code
    except ValueError:
        print(f"error: SECONDS is not a number; {USAGE}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        interrupted_while_starting()
    return 0


def _add_latency(seconds: float) -> None:
    """Every warehouse opened through the factory (the one place any is opened) answers each
    statement ``seconds`` later."""
    from shared.warehouse import factory
    from shared.warehouse.base import Warehouse
    from tests.doubles.latency import LatencyWarehouse

    opened = factory.open_adapter

    def slow(config: factory.WarehouseConfig, *, read_only: bool) -> Warehouse:
        return LatencyWarehouse(opened(config, read_only=read_only), seconds)

    factory.open_adapter = slow


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
