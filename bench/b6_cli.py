"""The backfill CLI on the simulator's clock, for B6: ``python -m bench.b6_cli SCALE ARGS...``.

The simulated BigQuery runs SCALE real seconds per simulated second. The client side must
keep the same time or its pacing, backoff and polling would be 1/SCALE times too slow: the
monotonic clock reads simulated seconds, and every sleep and timed wait (time.sleep,
Event.wait, which Timer uses) lasts SCALE times its simulated length. They are replaced
before anything imports them (the runner binds time.sleep as a default). Wall-clock
timestamps (checkpoint records) stay real.
"""

from __future__ import annotations

import sys
import threading
import time


def use_simulated_time(scale: float) -> None:
    real_monotonic, real_sleep, real_wait = time.monotonic, time.sleep, threading.Event.wait
    started = real_monotonic()

    def monotonic() -> float:
        return started + (real_monotonic() - started) / scale

    def sleep(seconds: float) -> None:
        real_sleep(seconds * scale)

    def wait(event: threading.Event, timeout: float | None = None) -> bool:
        return real_wait(event, None if timeout is None else timeout * scale)

    time.monotonic = monotonic
    time.sleep = sleep
    threading.Event.wait = wait  # type: ignore[method-assign]


def main() -> int:
    use_simulated_time(float(sys.argv[1]))
    from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import (
        main as backfill,
    )

    return backfill(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
