"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and the upstream data
it reads (the day's summary rows and player-games, and the earlier player-games of its season)."""

from __future__ import annotations

from datetime import date

from backfill_jobs.estimates import cost_lines, plan_table
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
    UpstreamDay,
)
from backfill_jobs.precompute.player_shot_zone_analysis.seasons import season_start
from shared.backfill.spec import PlannedDays

LEGEND = [
    "summary: the day's player_game_summary rows; p-games: its player-games;",
    "earlier: player-games before it this season; season: the season's first day",
]


def plan_lines(planned: PlannedDays) -> list[str]:
    """The engine's action and reason for every day, with the upstream data it reads."""
    job, plan, reasons = planned.job, planned.plan, planned.reasons
    assert isinstance(job, PlayerShotZoneAnalysisJob)
    upstream = job.upstream_days(season_start(min(reasons)), max(reasons))
    earlier = _earlier_in_season(upstream)

    def cells(day: date) -> str:
        info = upstream[day]
        return (
            f"{info.rows:>7,}  {info.player_games:>7,}  {earlier[day]:>7,}  "
            f"{season_start(day).isoformat():<10}"
        )

    columns = f"{'summary':>7}  {'p-games':>7}  {'earlier':>7}  {'season':<10}"
    table, estimates = plan_table(plan, reasons, job.estimate_bytes, columns, cells)
    total = (
        f"total: {len(reasons)} days, {len(plan.to_run)} to run, {len(plan.no_work)} without "
        f"player-games, {len(plan.already_done)} already done"
    )
    return [*LEGEND, *table, total, *cost_lines(estimates)]


def _earlier_in_season(upstream: dict[date, UpstreamDay]) -> dict[date, int]:
    """Player-games before each day since its season's start (what its windows draw from)."""
    earlier: dict[date, int] = {}
    season, running = None, 0
    for day in sorted(upstream):
        if season_start(day) != season:
            season, running = season_start(day), 0
        earlier[day] = running
        running += upstream[day].player_games
    return earlier
