"""The day-by-day plan that ``--dry-run`` prints: a reason for every day, and its raw data."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from shared.backfill.job import Job
from shared.backfill.planning import DayPlan
from shared.backfill.reporting import format_bytes
from shared.warehouse.base import Warehouse

# A day's estimate above this many times the median day's means the date filter is not
# pruning partitions (pitfall 3): one day should read about one day of data.
NOT_PRUNED_FACTOR = 5.0


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
    estimates = _estimates(job, warehouse, plan.to_run)
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
    lines.extend(_cost_lines(estimates))
    return lines


# Dry runs are free but each is a round trip; a few at once keep a 944-day plan quick.
ESTIMATE_THREADS = 8


def _estimates(
    job: PlayerGameSummaryJob, warehouse: Warehouse, days: tuple[date, ...]
) -> dict[date, int]:
    """Bytes per day where the warehouse can tell (BigQuery dry runs); empty elsewhere."""
    with ThreadPoolExecutor(ESTIMATE_THREADS, thread_name_prefix="estimate") as pool:
        estimates = dict(zip(days, pool.map(job.estimate_bytes, days), strict=True))
    return {day: value for day, value in estimates.items() if value is not None}


def _cost_lines(estimates: dict[date, int]) -> list[str]:
    if not estimates:
        return []
    from shared.warehouse.bigquery_warehouse import estimate_cost_usd

    total = sum(estimates.values())
    typical = statistics.median(estimates.values())
    lines = [
        f"bytes processed: {format_bytes(total)} in all, estimated on-demand cost ${estimate_cost_usd(total):.2f}"
    ]
    unpruned = [day for day, value in estimates.items() if value > NOT_PRUNED_FACTOR * typical]
    lines.extend(
        f"  {day}: not pruned? {format_bytes(estimates[day])} is over {NOT_PRUNED_FACTOR:g}x the median day"
        for day in unpruned
    )
    return lines
