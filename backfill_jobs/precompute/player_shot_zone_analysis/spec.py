"""The job as the engine runs it: its script, datasets and hooks (``JobSpec``)."""

from __future__ import annotations

from functools import partial

from backfill_jobs.analytics.player_game_summary.spec import SPEC as UPSTREAM
from backfill_jobs.precompute.player_shot_zone_analysis import dry_run, validation
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    DATASETS,
    PlayerShotZoneAnalysisJob,
)
from backfill_jobs.precompute.player_shot_zone_analysis.seasons import lookback
from backfill_jobs.raw_data import HISTORY, WEEK, create_hint
from shared.backfill.main import run_main
from shared.backfill.spec import JobSpec
from shared.backfill.survey import Upstream

SCRIPT = "backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py"

# The examples every job has come from the engine; these are this job's own.
EXAMPLES = (
    (
        "both tables current over a range, player_game_summary first (from the season's start)",
        f"--start-date {WEEK[0]} --end-date {WEEK[1]} --with-upstream --parallel",
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
    history=HISTORY,
    week=WEEK,
    examples=EXAMPLES,
    raw_data_hint=create_hint,
    # A feature day reads its season of player_game_summary up to itself: it waits for those
    # days to be current, and a change in what it read makes it stale.
    upstream=Upstream(
        job=UPSTREAM.name,
        make_job=UPSTREAM.make_job,
        window=lookback,
        datasets=UPSTREAM.datasets,
        run=partial(run_main, UPSTREAM),
    ),
)
