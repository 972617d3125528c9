"""Backfill nba_precompute.player_shot_zone_analysis, day by day, resumably.

Run as a script (``python backfill_jobs/precompute/player_shot_zone_analysis/
player_shot_zone_analysis_backfill.py``), as a module, or as ``psza-backfill``. It reads
nba_analytics.player_game_summary, so build that first over the same range.
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
    from backfill_jobs.analytics.player_game_summary import (
        player_game_summary_analytics_backfill as upstream,
    )
    from backfill_jobs.precompute.player_shot_zone_analysis import dry_run, validation
    from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
        DATASETS,
        PlayerShotZoneAnalysisJob,
    )
    from backfill_jobs.precompute.player_shot_zone_analysis.seasons import lookback
    from backfill_jobs.raw_data import create_hint
    from shared.backfill.main import entry_points
    from shared.backfill.spec import JobSpec
    from shared.backfill.survey import Upstream
except ImportError as exc:  # the system python3 instead of the project's virtualenv
    wrong_interpreter(exc)
except KeyboardInterrupt:
    interrupted_while_starting()

SCRIPT = "backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py"

# The examples every job has come from the engine; these are this job's own.
EXAMPLES = (
    (
        "both tables current over a range, player_game_summary first (from the season's start)",
        "--start-date 2022-01-10 --end-date 2022-01-17 --with-upstream --parallel",
    ),
)

SPEC = JobSpec(
    name=PlayerShotZoneAnalysisJob.name,
    script=SCRIPT,
    description="Recompute nba_precompute.player_shot_zone_analysis (one row per player who "
    "played on a day, with shot-zone rates over his last 10 and 20 earlier games of the "
    "season) from nba_analytics.player_game_summary.",
    console_script="psza-backfill",
    unit_name="player-games",
    datasets=DATASETS,
    make_job=PlayerShotZoneAnalysisJob,
    validate=validation.validate_and_render,
    dry_run_lines=dry_run.plan_lines,
    examples=EXAMPLES,
    raw_data_hint=create_hint,
    # A feature day reads its season of player_game_summary up to itself: it waits for those
    # days to be current, and a change in what it read makes it stale.
    upstream=Upstream(
        job=upstream.SPEC.name,
        make_job=upstream.SPEC.make_job,
        window=lookback,
        datasets=upstream.SPEC.datasets,
        run=upstream.main,
    ),
)


main, console = entry_points(SPEC)

if __name__ == "__main__":
    sys.exit(console())
