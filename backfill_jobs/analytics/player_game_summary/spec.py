"""The job as the engine runs it: its script, datasets and hooks (``JobSpec``)."""

from __future__ import annotations

from backfill_jobs.analytics.player_game_summary import dry_run, validation
from backfill_jobs.analytics.player_game_summary.processor import (
    DATASETS,
    PlayerGameSummaryJob,
)
from backfill_jobs.raw_data import HISTORY, WEEK, create_hint
from shared.backfill.spec import JobSpec

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
    history=HISTORY,
    week=WEEK,
    raw_data_hint=create_hint,
)
