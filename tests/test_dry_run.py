"""The dry-run plan on a warehouse that estimates bytes (BigQuery): per-day bytes, the total,
its on-demand cost, and days whose estimate shows the date filter is not pruning."""

from datetime import date

from backfill_jobs import estimates as costs
from backfill_jobs.analytics.player_game_summary import dry_run
from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from shared.backfill.job import work_units
from shared.backfill.planning import plan_days
from shared.backfill.spec import PlannedDays
from tests.raw_fixtures import D1, D3, seeded_warehouse

GIB = 1024**3


def test_plan_prints_bytes_cost_and_flags_unpruned_days(tmp_path, monkeypatch):
    warehouse = seeded_warehouse(tmp_path / "w.duckdb")
    job = PlayerGameSummaryJob(warehouse)
    work = work_units(job.day_counts(D1, D3))
    estimates = {D1: 1 * GIB, D3: 40 * GIB}
    monkeypatch.setattr(job, "estimate_bytes", lambda day: estimates.get(day, GIB))
    plan = plan_days([D1, date(2022, 1, 11), D3], set(), work)
    monkeypatch.setattr(costs, "NOT_PRUNED_FACTOR", 1.5)
    reasons = {day: ("run", "pending") for day in (D1, date(2022, 1, 11), D3)}
    lines = dry_run.plan_lines(PlannedDays(job, warehouse, plan, reasons))
    text = "\n".join(lines)
    assert "1.0 GiB" in text and "40.0 GiB" in text
    assert "bytes processed: 41.0 GiB in all, estimated on-demand cost $0.25" in text
    assert f"{D3}: not pruned?" in text and f"{D1}: not pruned?" not in text
    # With the bytes column the reason goes under the day's line: still 80 columns.
    assert max(len(line) for line in lines) <= 80
    first = next(i for i, line in enumerate(lines) if line.startswith(str(D1)))
    assert lines[first + 1] == " " * 12 + "pending"
    warehouse.close()
