"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and its raw data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.estimates import cost_lines, estimate_days, table_lines
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
    header = f"{'day':<10}  {'action':<6}  {'games':>9}  {'gamebook':>8}  {'pbp events':>10}"
    if estimates:
        header += f"  {'bytes scanned':>13}"
    rows = []
    for day in days:
        info = raw[day]
        action, reason = reasons[day]
        games = f"{info.final_games}" + (
            f" (+{info.unfinished_games})" if info.unfinished_games else ""
        )
        fixed = (
            f"{day.isoformat():<10}  {action:<6}  {games:>9}  {info.gamebook_rows:>8,}  "
            f"{info.pbp_events:>10,}"
        )
        if estimates:
            fixed += f"  {format_bytes(estimates[day]) if day in estimates else '':>13}"
        rows.append((fixed, reason))
    lines = table_lines(header, rows)
    if any(info.unfinished_games for info in raw.values()):
        lines.append("games: final games of the day (+ games not final yet)")
    stale = sum(
        action == "rerun" and reason.startswith("stale") for action, reason in reasons.values()
    )
    lines.append(
        f"total: {len(days)} days, {len(plan.to_run)} to run ({stale} stale), {len(plan.no_work)} "
        f"without final games, {len(plan.already_done)} already done"
    )
    lines.extend(cost_lines(estimates))
    return lines
