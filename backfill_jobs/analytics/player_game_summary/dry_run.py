"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and its raw data."""

from __future__ import annotations

from datetime import date

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.estimates import cost_lines, plan_table
from shared.backfill.spec import PlannedDays


def plan_lines(planned: PlannedDays) -> list[str]:
    """The engine's action and reason for every day, with the raw data each source has."""
    job, plan, reasons = planned.job, planned.plan, planned.reasons
    assert isinstance(job, PlayerGameSummaryJob)
    raw = job.raw_availability(min(reasons), max(reasons))

    def cells(day: date) -> str:
        info = raw[day]
        unfinished = f" (+{info.unfinished_games})" if info.unfinished_games else ""
        games = f"{info.final_games}{unfinished}"
        return f"{games:>9}  {info.gamebook_rows:>8,}  {info.pbp_events:>10,}"

    columns = f"{'games':>9}  {'gamebook':>8}  {'pbp events':>10}"
    lines, estimates = plan_table(plan, reasons, job.estimate_bytes, columns, cells)
    if any(info.unfinished_games for info in raw.values()):
        lines.append("games: final games of the day (+ games not final yet)")
    stale = sum(
        action == "rerun" and reason.startswith("stale") for action, reason in reasons.values()
    )
    lines.append(
        f"total: {len(reasons)} days, {len(plan.to_run)} to run ({stale} stale), "
        f"{len(plan.no_work)} without final games, {len(plan.already_done)} already done"
    )
    return lines + cost_lines(estimates)
