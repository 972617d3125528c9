"""What ``--dry-run`` says about cost where the warehouse can tell for free (BigQuery dry runs):
bytes per day, their total and on-demand price, and days whose estimate shows a date filter that
does not prune partitions (pitfall 3)."""

from __future__ import annotations

import statistics
import textwrap
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from shared.backfill.planning import DayPlan
from shared.backfill.reporting import format_bytes

# A day's estimate above this many times the median day's means its date filter is not
# pruning partitions (pitfall 3): a pruned day reads about what a typical day reads.
NOT_PRUNED_FACTOR = 5.0

# Dry runs are free but each is a round trip; a few at once keep a 944-day plan quick.
ESTIMATE_THREADS = 8
# The dry run's table fits an 80-column pane; a reason gets at least this much of a line.
DRY_RUN_WIDTH = 80
REASON_MIN = 20
REASON_INDENT = " " * 12


def estimate_days(estimate: Callable[[date], int | None], days: Sequence[date]) -> dict[date, int]:
    """Bytes per day where the warehouse can tell; empty where it cannot (DuckDB)."""
    with ThreadPoolExecutor(ESTIMATE_THREADS, thread_name_prefix="estimate") as pool:
        estimates = dict(zip(days, pool.map(estimate, days), strict=True))
    return {day: value for day, value in estimates.items() if value is not None}


def table_lines(header: str, rows: Sequence[tuple[str, str]]) -> list[str]:
    """A dry run's table in 80 columns: the fixed columns, then each day's reason, wrapped
    under the reason column (a stale reason names every changed input); where the fixed
    columns leave a reason too little room (BigQuery's bytes column), it goes on the lines
    below, indented."""
    width = max(len(header), *(len(fixed) for fixed, _ in rows)) + 2
    if DRY_RUN_WIDTH - width >= REASON_MIN:
        column, indent, title = width, " " * width, f"{header:<{width}}reason"
    else:
        column, indent, title = (
            len(REASON_INDENT),
            REASON_INDENT,
            f"{header}\n{REASON_INDENT}reason",
        )
    lines = title.splitlines()
    for fixed, reason in rows:
        wrapped = textwrap.wrap(reason, DRY_RUN_WIDTH - column, break_on_hyphens=False) or [""]
        if column == width:
            lines.append(f"{fixed:<{width}}{wrapped.pop(0)}".rstrip())
        else:
            lines.append(fixed.rstrip())
        lines.extend(indent + more for more in wrapped)
    return lines


def cost_lines(estimates: dict[date, int]) -> list[str]:
    if not estimates:
        return []
    from shared.warehouse.pricing import estimate_cost_usd

    total = sum(estimates.values())
    typical = statistics.median(estimates.values())
    lines = [
        f"bytes processed: {format_bytes(total)} in all, estimated on-demand cost "
        f"${estimate_cost_usd(total):.2f}"
    ]
    unpruned = [day for day, value in estimates.items() if value > NOT_PRUNED_FACTOR * typical]
    lines.extend(
        f"  {day}: not pruned? {format_bytes(estimates[day])} is over {NOT_PRUNED_FACTOR:g}x "
        "the median day"
        for day in unpruned
    )
    return lines


def plan_table(
    plan: DayPlan,
    reasons: Mapping[date, tuple[str, str]],
    estimate: Callable[[date], int | None],
    columns: str,
    cells: Callable[[date], str],
) -> tuple[list[str], dict[date, int]]:
    """The dry run's table every job prints: day, action, the job's own ``columns`` (each
    day's ``cells``), the bytes a day would scan where the warehouse tells, and the reason;
    with the estimates, for the job's totals and ``cost_lines``."""
    estimates = estimate_days(estimate, plan.to_run)
    header = f"{'day':<10}  {'action':<6}  {columns}"
    if estimates:
        header += f"  {'bytes scanned':>13}"
    rows = []
    for day in sorted(reasons):
        action, reason = reasons[day]
        fixed = f"{day.isoformat():<10}  {action:<6}  {cells(day)}"
        if estimates:
            fixed += f"  {format_bytes(estimates[day]) if day in estimates else '':>13}"
        rows.append((fixed, reason))
    return table_lines(header, rows), estimates
