"""Backfill nba_precompute.player_shot_zone_analysis, day by day, resumably.

Run as a script (``python backfill_jobs/precompute/player_shot_zone_analysis/
player_shot_zone_analysis_backfill.py``), as a module, or as ``psza-backfill``. It reads
nba_analytics.player_game_summary, so build that first over the same range.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from backfill_jobs.launch import start  # noqa: E402

# The spec, ``main(argv)`` and ``console()``; run as a script, ``start`` runs the command.
SPEC, main, console = start("backfill_jobs.precompute.player_shot_zone_analysis.spec", __name__)
