"""A run's end: the summary, the commands to go on, validation (results, on stdout), and the
exit code, from one table."""

from __future__ import annotations

from shared.backfill.checkpoint import DONE_STATUSES
from shared.backfill.commands import rerun_command
from shared.backfill.console import RESULTS
from shared.backfill.context import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Request,
    RunContext,
    Selection,
)
from shared.backfill.plan import Plan
from shared.backfill.progress import ProgressTracker
from shared.backfill.reporting import LIST_LIMIT, cut_list, emit, summary_lines
from shared.backfill.results import DayStatus
from shared.backfill.runner import RunOutcome
from shared.warehouse.base import Warehouse


def finish(
    context: RunContext,
    plan: Plan,
    tracker: ProgressTracker,
    outcome: RunOutcome,
    warehouse: Warehouse,
) -> int:
    """The summary and validation (results, on stdout) and the exit code.

    A run that wrote nothing says so and exits 0 without validating: the same command gives
    the same exit code however often it is repeated.
    """
    spec, request = context.spec, context.request
    if not tracker.total and not outcome.interrupted:
        RESULTS.info("Nothing to do: %s", _nothing_to_do(context.selection, request, plan))
        return EXIT_OK
    emit(RESULTS, summary_lines(outcome, tracker, planned=tracker.total))
    stale = plan.stale_to_run()
    if stale:
        written = {r.day for r in outcome.results if r.status in DONE_STATUSES}
        RESULTS.info("  Stale days rerun (%d):", len(stale))
        rerun = [
            f"    {day}: {why}{'' if day in written else ' (not rerun yet)'}"
            for day, why in stale.items()
        ]
        emit(RESULTS, cut_list(rerun, "    "))
    range_flags = ("--start-date", request.start.isoformat(), "--end-date", request.end.isoformat())
    if outcome.failed:
        failed_days = ",".join(r.day.isoformat() for r in outcome.failed)
        RESULTS.info("  Retry the failed days:")
        RESULTS.info("    %s", rerun_command(context, *range_flags, "--retry-failed"))
        if len(outcome.failed) <= LIST_LIMIT:
            RESULTS.info("    %s", rerun_command(context, *range_flags, "--dates", failed_days))
    if outcome.held:
        held_days = ",".join(r.day.isoformat() for r in outcome.held)
        RESULTS.info("  Look at what the raw tables lost; to write the smaller days anyway:")
        RESULTS.info(
            "    %s", rerun_command(context, *range_flags, "--dates", held_days, "--allow-shrink")
        )
    if outcome.stop_came_late:
        RESULTS.info("  Nothing to resume: every day finished before the stop took effect.")
    elif outcome.interrupted or outcome.halt_reason:
        RESULTS.info("  Resume (done days are skipped):")
        RESULTS.info("    %s", rerun_command(context, *range_flags))
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    exit_code = EXIT_FAILED if outcome.failed or outcome.held or outcome.halt_reason else EXIT_OK
    wrote = [r.day for r in outcome.results if r.status is DayStatus.SUCCESS]
    if wrote:
        # A whole range is validated as a whole; listed days by their span.
        first, last = (
            (request.start, request.end) if request.whole_range else (min(wrote), max(wrote))
        )
        table, passed = spec.validate(warehouse, first, last)
        for line in table.splitlines():
            RESULTS.info(line)
        if not passed:
            exit_code = EXIT_FAILED
    return exit_code


def _nothing_to_do(selection: Selection, request: Request, plan: Plan) -> str:
    """Why a run ran nothing, counting the days of the whole range."""
    span = f"{request.start}..{request.end}"
    days = (request.end - request.start).days + 1
    if selection.retry_failed:
        return f"no failed day in {span} to retry ({plan.range_done} of {days} day(s) done)"
    if selection.stale:
        return f"no stale day in {span} ({plan.range_done} of {days} day(s) done)"
    return f"{plan.range_done} day(s) of {span} already done, none pending, failed or stale"
