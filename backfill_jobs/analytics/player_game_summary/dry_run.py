"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and its raw data."""

from __future__ import annotations

from datetime import date

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.estimates import cost_lines, estimate_days, format_bytes
from shared.backfill.checkpoint import CheckpointState
from shared.backfill.job import Job
from shared.backfill.planning import DayPlan
from shared.warehouse.base import Warehouse


def plan_lines(
    job: Job,
    warehouse: Warehouse,
    plan: DayPlan,
    state: CheckpointState | None,
    start: date,
    end: date,
) -> list[str]:
    assert isinstance(job, PlayerGameSummaryJob)
    days = sorted({*plan.to_run, *plan.no_work, *plan.already_done})
    if not days:
        return ["no days to run"]
    raw = job.raw_availability(days[0], days[-1])
    failed = state.failed if state else {}
    estimates = estimate_days(job.estimate_bytes, plan.to_run)
    lines = [
        f"{'day':<10}  {'action':<6}  {'reason':<28}  {'final games':>20}  {'gamebook':>8}  {'pbp events':>10}"
        + ("  bytes scanned" if estimates else ""),
    ]
    for day in days:
        info = raw[day]
        action, reason = _reason(day, plan, failed, info.final_games)
        games = f"{info.final_games}" + (
            f" (+{info.unfinished_games} not final)" if info.unfinished_games else ""
        )
        line = (
            f"{day.isoformat():<10}  {action:<6}  {reason:<28}  {games:>20}  "
            f"{info.gamebook_rows:>8,}  {info.pbp_events:>10,}"
        )
        if day in estimates:
            line += f"  {format_bytes(estimates[day])}"
        lines.append(line)
    lines.append(
        f"total: {len(days)} days, {len(plan.to_run)} to run, {len(plan.no_work)} without final "
        f"games, {len(plan.already_done)} already done"
    )
    lines.extend(cost_lines(estimates))
    return lines


def _reason(
    day: date, plan: DayPlan, failed: dict[date, dict[str, object]], final_games: int
) -> tuple[str, str]:
    if day in plan.already_done:
        return "skip", "done in checkpoint"
    if day in plan.no_work:
        return "skip", "no final games"
    if final_games == 0:
        return "clear", "no final games; stale rows"
    if day in failed:
        return "rerun", f"failed before ({failed[day].get('attempts', 1)} attempts)"
    return "run", "pending"
