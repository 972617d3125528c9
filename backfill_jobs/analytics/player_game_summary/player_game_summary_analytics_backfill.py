"""Backfill nba_analytics.player_game_summary, day by day, resumably.

Run as a script (``python backfill_jobs/analytics/player_game_summary/
player_game_summary_analytics_backfill.py``), as a module, or as ``pgs-backfill``.
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
    from backfill_jobs.analytics.player_game_summary import dry_run, validation
    from backfill_jobs.analytics.player_game_summary.processor import (
        DATASETS,
        PlayerGameSummaryJob,
    )
    from shared.backfill.cli import JobSpec
    from shared.backfill.run_command import run_main
except ImportError as exc:  # the system python3 instead of the project's virtualenv
    wrong_interpreter(exc)
except KeyboardInterrupt:
    interrupted_while_starting()

SCRIPT = "backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py"

EXAMPLES = f"""\
examples:
  # a one-week test, 3 workers
  python {SCRIPT} --start-date 2022-01-10 --end-date 2022-01-17 --parallel --workers 3

  # the full history in tmux, 15 workers (resumes where a stopped run left off)
  tmux new-session -d -s backfill \\
    "python {SCRIPT} --start-date 2021-10-01 --end-date 2024-05-01 --parallel --workers 15"

  # what would run, and the raw data each day has (writes nothing)
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
    name=PlayerGameSummaryJob.name,
    script=SCRIPT,
    description="Recompute nba_analytics.player_game_summary (one row per player per game, "
    "with shot zones) from the gamebook, play-by-play and schedule.",
    examples=EXAMPLES,
    console_script="pgs-backfill",
    unit_name="games",
    datasets=DATASETS,
    make_job=PlayerGameSummaryJob,
    validate=validation.validate_and_render,
    dry_run_lines=dry_run.plan_lines,
)


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(SPEC, argv)


def console() -> int:
    """The command line (this script, the module, the console script): ``main``, then a late
    Ctrl-C or SIGTERM has nothing left to stop."""
    return finish(main)


if __name__ == "__main__":
    sys.exit(console())
