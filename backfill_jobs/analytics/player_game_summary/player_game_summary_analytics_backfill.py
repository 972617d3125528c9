"""Backfill nba_analytics.player_game_summary, day by day, resumably.

Run as a script (``python backfill_jobs/analytics/player_game_summary/
player_game_summary_analytics_backfill.py``), as a module, or as ``pgs-backfill``.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from backfill_jobs.launch import start  # noqa: E402

# The spec, ``main(argv)`` and ``console()``; run as a script, ``start`` runs the command.
SPEC, main, console = start("backfill_jobs.analytics.player_game_summary.spec", __name__)
