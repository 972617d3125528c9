"""Backfill nba_analytics.player_game_summary, day by day, resumably.

Run as a script (``python backfill_jobs/analytics/player_game_summary/
player_game_summary_analytics_backfill.py``), as a module, or as ``pgs-backfill``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file path: make the project importable without PYTHONPATH.
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from shared.entry import (  # noqa: E402
    check_interpreter,
    interrupted_while_starting,
    wrong_interpreter,
)

check_interpreter()
try:
    from backfill_jobs.analytics.player_game_summary import dry_run, validation
    from backfill_jobs.analytics.player_game_summary.processor import (
        DATASETS,
        PlayerGameSummaryJob,
    )
    from backfill_jobs.raw_data import create_hint
    from shared.backfill.main import entry_points
    from shared.backfill.spec import JobSpec
except ImportError as exc:  # the system python3 instead of the project's virtualenv
    wrong_interpreter(exc)
except KeyboardInterrupt:
    interrupted_while_starting()

SCRIPT = "backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py"

SPEC = JobSpec(
    name=PlayerGameSummaryJob.name,
    script=SCRIPT,
    description="Recompute nba_analytics.player_game_summary (one row per player per game, "
    "with shot zones) from the gamebook, play-by-play and schedule.",
    console_script="pgs-backfill",
    unit_name="games",
    datasets=DATASETS,
    make_job=PlayerGameSummaryJob,
    validate=validation.validate_and_render,
    dry_run_lines=dry_run.plan_lines,
    raw_data_hint=create_hint,
)


main, console = entry_points(SPEC)

if __name__ == "__main__":
    sys.exit(console())
