"""``--dry-run``: the plan, day by day with its reasons and the job's own columns, the cost of
reading lineage where the warehouse tells, and what the table holds that it should not."""

from __future__ import annotations

from pathlib import Path

from shared.backfill.context import EXIT_OK, Request, RunContext
from shared.backfill.job import Job
from shared.backfill.plan import Journals, day_reason, make_plan
from shared.backfill.reporting import format_bytes, reconcile_lines
from shared.backfill.spec import PlannedDays
from shared.backfill.survey import merged_gaps
from shared.paths import display_path
from shared.warehouse.base import Warehouse
from shared.warehouse.factory import open_warehouse


def dry_run(context: RunContext, path: Path) -> int:
    """What a run would do with each day and why, and what the job's table says; writes
    nothing."""
    spec, request, config = context.spec, context.request, context.warehouse
    warehouse = open_warehouse(config, read_only=True)
    try:
        job = spec.make_job(warehouse)
        job.check_sources()
        journals = Journals.read(spec, context.paths.checkpoint_dir, config)
        plan = make_plan(
            spec, request, job, warehouse, journals, stale_only=context.selection.stale
        )
        print("DRY RUN: nothing is written; the checkpoint is left as is:")
        print(f"  {display_path(path)}")
        reasons = {
            day: day_reason(day, plan, spec.unit_name)
            for day in sorted({*plan.days.to_run, *plan.days.no_work, *plan.days.already_done})
        }
        lines = (
            spec.dry_run_lines(PlannedDays(job, warehouse, plan.days, reasons)) if reasons else []
        )
        for line in lines or ["no days to run"]:
            print(line)
        for line in _lineage_cost_lines(job, warehouse, request):
            print(line)
        if request.days:
            found = job.reconcile(request.days[0], request.days[-1])
            for line in reconcile_lines(found, "status --verify --json lists all"):
                print(line)
        blocked = plan.survey.blocked(list(plan.days.to_run))
        if blocked and spec.upstream is not None:
            print(
                f"{len(blocked)} day(s) read {spec.upstream.job} days that are "
                f"{merged_gaps(blocked)}: a run refuses them unless --allow-incomplete"
            )
    finally:
        warehouse.close()
    return EXIT_OK


def _lineage_cost_lines(job: Job, warehouse: Warehouse, request: Request) -> list[str]:
    """What reading the range's lineage scans (the rows' lineage and one digest per source),
    where the warehouse tells (BigQuery)."""
    if not request.days:
        return []
    statements = job.lineage_statements(request.days[0], request.days[-1])
    estimates = {name: warehouse.estimate_bytes(sql, params) for name, sql, params in statements}
    if any(value is None for value in estimates.values()):
        return []
    parts = ", ".join(f"{name} {format_bytes(value or 0)}" for name, value in estimates.items())
    total = sum(value or 0 for value in estimates.values())
    return [f"lineage reads (every run): {parts}; {format_bytes(total)} in all"]
