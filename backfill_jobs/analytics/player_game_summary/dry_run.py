"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and its raw data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.estimates import cost_lines, estimate_days
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
    """The engine's action and reason for every day, with the raw data each source has."""
    assert isinstance(job, PlayerGameSummaryJob)
    days = sorted(reasons)
    if not days:
        return ["no days to run"]
    raw = job.raw_availability(days[0], days[-1])
    estimates = estimate_days(job.estimate_bytes, plan.to_run)
    width = max(28, *(len(reason) for _, reason in reasons.values()))
    lines = [
        f"{'day':<10}  {'action':<6}  {'reason':<{width}}  {'final games':>20}  {'gamebook':>8}  {'pbp events':>10}"
        + ("  bytes scanned" if estimates else ""),
    ]
    for day in days:
        info = raw[day]
        action, reason = reasons[day]
        games = f"{info.final_games}" + (
            f" (+{info.unfinished_games} not final)" if info.unfinished_games else ""
        )
        line = (
            f"{day.isoformat():<10}  {action:<6}  {reason:<{width}}  {games:>20}  "
            f"{info.gamebook_rows:>8,}  {info.pbp_events:>10,}"
        )
        if day in estimates:
            line += f"  {format_bytes(estimates[day])}"
        lines.append(line)
    stale = sum(
        action == "rerun" and reason.startswith("stale") for action, reason in reasons.values()
    )
    lines.append(
        f"total: {len(days)} days, {len(plan.to_run)} to run ({stale} stale), {len(plan.no_work)} "
        f"without final games, {len(plan.already_done)} already done"
    )
    lines.extend(cost_lines(estimates))
    return lines
