"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and the upstream data
it reads (the day's summary rows and player-games, and the earlier player-games of its season)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from backfill_jobs.estimates import cost_lines, estimate_days, table_lines
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
    UpstreamDay,
)
from backfill_jobs.precompute.player_shot_zone_analysis.seasons import season_start
from shared.backfill.job import Job
from shared.backfill.planning import DayPlan
from shared.backfill.reporting import format_bytes
from shared.warehouse.base import Warehouse


def plan_lines(
    job: Job,
    warehouse: Warehouse,
    plan: DayPlan,
    reasons: Mapping[date, tuple[str, str]],
) -> list[str]:
    """The engine's action and reason for every day, with the upstream data it reads."""
    assert isinstance(job, PlayerShotZoneAnalysisJob)
    days = sorted(reasons)
    if not days:
        return ["no days to run"]
    upstream = job.upstream_days(season_start(days[0]), days[-1])
    earlier = _earlier_in_season(upstream)
    estimates = estimate_days(job.estimate_bytes, plan.to_run)
    header = f"{'day':<10}  {'action':<6}  {'summary':>7}  {'p-games':>7}  {'earlier':>7}  {'season':<10}"
    if estimates:
        header += f"  {'bytes scanned':>13}"
    rows = []
    for day in days:
        info = upstream[day]
        action, reason = reasons[day]
        fixed = (
            f"{day.isoformat():<10}  {action:<6}  {info.rows:>7,}  {info.player_games:>7,}  "
            f"{earlier[day]:>7,}  {season_start(day).isoformat():<10}"
        )
        if estimates:
            fixed += f"  {format_bytes(estimates[day]) if day in estimates else '':>13}"
        rows.append((fixed, reason))
    lines = [
        "summary: the day's player_game_summary rows; p-games: its player-games;",
        "earlier: player-games before it this season; season: the season's first day",
        *table_lines(header, rows),
    ]
    lines.append(
        f"total: {len(days)} days, {len(plan.to_run)} to run, {len(plan.no_work)} without "
        f"player-games, {len(plan.already_done)} already done"
    )
    lines.extend(cost_lines(estimates))
    return lines


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
