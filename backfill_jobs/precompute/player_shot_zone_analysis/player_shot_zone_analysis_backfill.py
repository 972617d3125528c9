"""Backfill nba_precompute.player_shot_zone_analysis, day by day, resumably.

Run as a script (``python backfill_jobs/precompute/player_shot_zone_analysis/
player_shot_zone_analysis_backfill.py``), as a module, or as ``psza-backfill``. It reads
nba_analytics.player_game_summary, so build that first over the same range.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file path: make the project importable without PYTHONPATH.
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from shared.entry import (  # noqa: E402
    check_interpreter,
    finish,
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
    from shared.backfill.cli import JobSpec
    from shared.backfill.run_command import run_main
    from shared.backfill.survey import Upstream
except ImportError as exc:  # the system python3 instead of the project's virtualenv
    wrong_interpreter(exc)
except KeyboardInterrupt:
    interrupted_while_starting()

SCRIPT = "backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py"

EXAMPLES = f"""\
examples:
  # features for a week, 3 workers (player_game_summary must hold the season up to it)
  python {SCRIPT} --start-date 2022-01-10 --end-date 2022-01-17 --parallel --workers 3

  # the full history, after the player_game_summary backfill of the same range
  python {SCRIPT} --start-date 2021-10-01 --end-date 2024-05-01 --parallel --workers 15

  # both tables current over a range, player_game_summary first (from the season's start)
  python {SCRIPT} --start-date 2022-01-10 --end-date 2022-01-17 --with-upstream --parallel

  # what would run, and the upstream player-games each day has (writes nothing)
  python {SCRIPT} --start-date 2021-10-01 --end-date 2024-05-01 --dry-run

  # rerun failed days
  python {SCRIPT} --start-date 2021-10-01 --end-date 2024-05-01 --retry-failed
  python {SCRIPT} --dates 2022-01-12,2022-01-15

  # check the result
  python {SCRIPT} validate --start-date 2021-10-01 --end-date 2024-05-01
  python {SCRIPT} status --start-date 2021-10-01 --end-date 2024-05-01

exit codes: 0 all done, 1 some days failed, 2 usage/config error, 130 interrupted
"""

SPEC = JobSpec(
    name=PlayerShotZoneAnalysisJob.name,
    script=SCRIPT,
    description="Recompute nba_precompute.player_shot_zone_analysis (one row per player who "
    "played on a day, with shot-zone rates over his last 10 and 20 earlier games of the "
    "season) from nba_analytics.player_game_summary.",
    examples=EXAMPLES,
    console_script="psza-backfill",
    unit_name="player-games",
    datasets=DATASETS,
    make_job=PlayerShotZoneAnalysisJob,
    validate=validation.validate_and_render,
    dry_run_lines=dry_run.plan_lines,
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


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(SPEC, argv)


def console() -> int:
    """The command line (this script, the module, the console script): ``main``, then a late
    Ctrl-C or SIGTERM has nothing left to stop."""
    return finish(main)


if __name__ == "__main__":
    sys.exit(console())
