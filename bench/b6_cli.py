"""The backfill CLI with every sleep scaled, for B6: ``python -m bench.b6_cli SCALE ARGS...``.

The simulated BigQuery runs SCALE real seconds per simulated second; the client's and the
runner's backoff sleeps must shrink alike or a retry would cost 1/SCALE times too much.
``time.sleep`` is replaced before anything imports it (the runner binds it as a default).
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    scale = float(sys.argv[1])
    real_sleep = time.sleep
    time.sleep = lambda seconds: real_sleep(seconds * scale)
    from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import (
        main as backfill,
    )

    return backfill(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
