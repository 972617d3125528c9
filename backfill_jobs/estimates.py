"""What ``--dry-run`` says about cost where the warehouse can tell for free (BigQuery dry runs):
bytes per day, their total and on-demand price, and days whose estimate shows a date filter that
does not prune partitions (pitfall 3)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from shared.backfill.reporting import format_bytes

# A day's estimate above this many times the median day's means its date filter is not
# pruning partitions (pitfall 3): a pruned day reads about what a typical day reads.
NOT_PRUNED_FACTOR = 5.0

# Dry runs are free but each is a round trip; a few at once keep a 944-day plan quick.
ESTIMATE_THREADS = 8


def estimate_days(estimate: Callable[[date], int | None], days: Sequence[date]) -> dict[date, int]:
    """Bytes per day where the warehouse can tell; empty where it cannot (DuckDB)."""
    with ThreadPoolExecutor(ESTIMATE_THREADS, thread_name_prefix="estimate") as pool:
        estimates = dict(zip(days, pool.map(estimate, days), strict=True))
    return {day: value for day, value in estimates.items() if value is not None}


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
