"""The run command: plan the range from every checkpoint and one survey of the warehouse, run
it, record the run, and hand the outcome to ``finish`` for the summary and the exit code."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType

from shared.backfill.checkpoint import Checkpoint, checkpoint_path, run_lock, set_aside
from shared.backfill.cloud_run import cloud_run_fields
from shared.backfill.commands import run_flags
from shared.backfill.console import (
    RESULTS,
    bar_shown,
    configure_logging,
    current_run_id,
    discard_log_file,
    progress_bar_wanted,
)
from shared.backfill.context import (
    DEFAULT_WORKERS,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    RunContext,
)
from shared.backfill.dry_run_command import dry_run
from shared.backfill.fingerprints import inputs_of
from shared.backfill.finish import finish
from shared.backfill.job import Job
from shared.backfill.plan import (
    Journals,
    Plan,
    hold_blocked,
    make_plan,
    refuse_incomplete_upstream,
    warn_incomplete_upstream,
)
from shared.backfill.planning import WriteMode, make_batches, writes_in_bulk
from shared.backfill.progress import ProgressTracker
from shared.backfill.reporting import LogReporter, Reporters, TqdmReporter, cut_list, emit
from shared.backfill.request import upstream_config
from shared.backfill.results import DayResult, DayStatus
from shared.backfill.runner import BackfillRunner, RunOptions, RunOutcome
from shared.errors import CheckpointError, ConfigError
from shared.warehouse.base import Warehouse
from shared.warehouse.factory import open_warehouse
from shared.warehouse.options import warehouse_run_flags

logger = logging.getLogger("backfill")


def run(context: RunContext) -> int:
    """The run command (``--dry-run`` included): its exit code."""
    spec, request, config, settings = (
        context.spec,
        context.request,
        context.warehouse,
        context.settings,
    )
    path = checkpoint_path(
        context.paths.checkpoint_dir, spec.name, request.start, request.end, config.identity
    )
    if settings.with_upstream and request.days:
        code = _run_upstream(context)
        if code in (EXIT_USAGE, EXIT_INTERRUPTED):
            return code
    if settings.dry_run:
        return dry_run(context, path)
    with run_lock(path):
        files = RunFiles(
            configure_logging(
                context.paths.log_dir, spec.name, settings.debug, log_format=settings.log_format
            ),
            path,
        )
        try:
            warehouse = open_warehouse(config)
            try:
                # Only now, with the lock and an open warehouse, is old progress set aside.
                if context.selection.no_resume and request.whole_range:
                    backup = set_aside(path)
                    if backup:
                        logger.info("--no-resume: previous checkpoint kept as %s", backup)
                checkpoint = Checkpoint.load_or_create(path, spec.name, request.start, request.end)
                checkpoint.bind_warehouse(config.identity)
                journals = Journals.read(spec, context.paths.checkpoint_dir, config)
                return _run(context, checkpoint, warehouse, journals, files)
            finally:
                warehouse.close()
        except (ConfigError, CheckpointError):
            # A refusal (exit 2); a failure of the warehouse keeps its log.
            if not files.shown:
                discard_log_file(files.log_path)
            raise


@dataclass
class RunFiles:
    """Where the run logs and records. Shown once the run has passed every refusal; a refusal
    (bad checkpoint, missing table, incomplete upstream) prints only itself and removes the
    log file it would have written."""

    log_path: Path
    checkpoint: Path
    shown: bool = False

    def show(self) -> None:
        logger.info("Log file: %s", self.log_path)
        logger.info("Checkpoint: %s", self.checkpoint)
        self.shown = True


def _run_upstream(context: RunContext) -> int:
    """``--with-upstream``: the upstream job's own command over every day this request reads,
    with this command's warehouse, folders and manner of running; its exit code."""
    spec, request, settings = context.spec, context.request, context.settings
    upstream = spec.upstream
    assert upstream is not None and upstream.run is not None
    first = min(upstream.window(day)[0] for day in request.days)
    last = max(upstream.window(day)[1] for day in request.days)
    upstream_warehouse = upstream_config(spec, context.warehouse)
    assert upstream_warehouse is not None
    argv = ["--start-date", first.isoformat(), "--end-date", last.isoformat()]
    argv += [*upstream_warehouse.flags(), *warehouse_run_flags(upstream_warehouse)]
    argv += ["--checkpoint-dir", str(context.paths.checkpoint_dir)]
    argv += ["--log-dir", str(context.paths.log_dir)]
    argv += ["--max-retries", str(settings.max_retries), "--log-format", settings.log_format]
    if settings.parallel:
        argv += ["--parallel", "--workers", str(settings.workers)]
    switches = {"--dry-run": settings.dry_run, "--fail-fast": settings.fail_fast}
    argv += [flag for flag, given in {**switches, "--debug": settings.debug}.items() if given]
    logger.info("--with-upstream: bringing %s current over %s..%s first", upstream.job, first, last)
    return upstream.run(argv)


def _run(
    context: RunContext,
    checkpoint: Checkpoint,
    warehouse: Warehouse,
    journals: Journals,
    files: RunFiles,
) -> int:
    spec, request, config, settings = (
        context.spec,
        context.request,
        context.warehouse,
        context.settings,
    )
    if settings.write_mode is WriteMode.BULK and warehouse.bulk_write_days < 1:
        raise ConfigError(
            f"--write-mode bulk: {config.identity} has no bulk write (each batch of "
            "--batch-days is one statement already); use --batch-days"
        )
    job = spec.make_job(warehouse)
    job.prepare()
    if settings.allow_shrink:
        job.accept_shrinks(request.days)
    plan = make_plan(spec, request, job, warehouse, journals, stale_only=context.selection.stale)
    job.planned_with_rows(plan.survey.rows)
    held = 0
    if settings.with_upstream and not settings.allow_incomplete:
        plan, held = hold_blocked(spec, plan)
    elif not settings.allow_incomplete:
        refuse_incomplete_upstream(spec, plan)
    else:
        warn_incomplete_upstream(spec, plan)
    files.show()
    workers = settings.effective_workers
    if not settings.parallel and settings.workers != DEFAULT_WORKERS:
        logger.warning(
            "--workers %d has no effect without --parallel: running sequentially",
            settings.workers,
        )
    mode = f"PARALLEL with {workers} workers" if settings.parallel else "SEQUENTIAL"
    bulk = writes_in_bulk(
        settings.write_mode,
        bulk_write_days=warehouse.bulk_write_days,
        days_with_work=sum(plan.survey.work_units.get(day, 0) > 0 for day in plan.days.to_run),
        picked=context.selection.picked,
    )
    logger.info(
        "Running %s %s..%s (%s) in %s mode, %s",
        spec.name,
        request.start,
        request.end,
        request.label,
        mode,
        f"bulk writes of up to {warehouse.bulk_write_days} days (per-day if one fails)"
        if bulk
        else f"batches of up to {settings.batch_days} day(s)",
    )
    stale = plan.stale_to_run()
    logger.info(
        "Days: %d to run (%d stale), %d without %s, %d already done",
        len(plan.days.to_run),
        len(stale),
        len(plan.days.no_work),
        spec.unit_name,
        plan.range_done,
    )
    emit(logger, cut_list([f"  stale {day}: {why}" for day, why in stale.items()], "  "))
    if plan.survey.unverified:
        logger.info(
            "  %d day(s) hold rows written before lineage was recorded: unverified, left as "
            "they are (rerun them with --dates or --no-resume to record it)",
            len(plan.survey.unverified),
        )
    tracker = ProgressTracker(total=len(plan.days.to_run) + len(plan.days.no_work), workers=workers)
    reporters: list[LogReporter | TqdmReporter] = [LogReporter()]
    if progress_bar_wanted() and tracker.total:
        reporters.append(TqdmReporter(total=tracker.total))
        bar_shown()
    reporter = Reporters(*reporters)
    sources = job.sources
    runner = BackfillRunner(
        job,
        checkpoint,
        tracker,
        reporter,
        RunOptions(
            workers=workers,
            max_retries=settings.max_retries,
            max_failures=1 if settings.fail_fast else settings.max_failures,
            unit_name=spec.unit_name,
        ),
        interrupt=warehouse.interrupt,
        day_inputs=lambda day: inputs_of(plan.survey.inputs, sources, day),
        version=job.version,
        take_cost=warehouse.take_cost,
    )
    batches = make_batches(
        plan.days.to_run,
        plan.survey.work_units,
        max(len(plan.days.to_run), 1) if bulk else settings.batch_days,
        bridge=set(plan.days.no_work),
        max_span_days=warehouse.bulk_write_days if bulk else None,
    )
    bridged = {day for batch in batches for day in batch}
    skipped = [
        DayResult(day=day, status=DayStatus.SKIPPED)
        for day in plan.days.no_work
        if day not in bridged
    ]
    _journal_current_days(checkpoint, plan, job)
    started_at = datetime.now().astimezone().isoformat(timespec="seconds")
    outcome = RunOutcome()
    try:
        with _stop_on_signals(runner):
            runner.record_without_running(skipped)
            outcome = runner.run(batches, plan.survey.work_units, bulk=bulk)
    except KeyboardInterrupt:
        # A second Ctrl-C: the runner's own record of what finished still stands.
        outcome = runner.outcome
        outcome.interrupted = True
        outcome.stop_came_late = False
    finally:
        reporter.close(tracker.snapshot())
        checkpoint.record_run(
            {
                "started_at": started_at,
                "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                "pid": os.getpid(),
                "warehouse": config.identity,
                "warehouse_flags": config.flags(),
                "mode": "parallel" if settings.parallel else "sequential",
                "workers": workers,
                "batch_days": settings.batch_days,
                "write_mode": "bulk" if bulk else "per-day",
                "run_flags": run_flags(context),
                "days_planned": tracker.total,
                "days_processed": tracker.snapshot().processed,
                "days_stale": len(stale),
                "days_held": len(outcome.held),
                "accepted_shrinks": [
                    {
                        "day": r.day.isoformat(),
                        "units": [s.key for s in r.accepted],
                        "rows_before": sum(s.before for s in r.accepted),
                        "rows_after": sum(s.after for s in r.accepted),
                    }
                    for r in outcome.results
                    if r.accepted
                ],
                "elapsed_s": round(outcome.elapsed_s, 3),
                "outcome": _outcome_word(outcome),
                "run_id": current_run_id(),
                **cloud_run_fields(),
            }
        )
    if outcome.stop_came_late:
        logger.warning(
            "Interrupted when every day left had started; all of them finished, so there is "
            "nothing to resume"
        )
    code = finish(context, plan, tracker, outcome, warehouse)
    if held and code != EXIT_INTERRUPTED:
        RESULTS.info(
            "  %d day(s) not run: they read %s days that failed (see above)",
            held,
            spec.upstream.job if spec.upstream else "upstream",
        )
        return EXIT_FAILED
    return code


def _journal_current_days(checkpoint: Checkpoint, plan: Plan, job: Job) -> None:
    """Days the warehouse says are current but this journal does not hold as done (a new
    container, a run killed before its journal caught up) are recorded as found, so the
    journal reads as the range does; nothing is run for them."""
    journal = checkpoint.snapshot().days
    found = [
        DayResult(
            day=day,
            status=DayStatus.SUCCESS if plan.survey.rows.get(day) else DayStatus.SKIPPED,
            rows=plan.survey.rows.get(day, 0),
            units=plan.survey.work_units.get(day, 0),
            attempts=0,
            inputs=inputs_of(plan.survey.inputs, job.sources, day),
            version=job.version,
        )
        for day in plan.days.already_done
        if day in plan.survey.verdicts and not ((r := journal.get(day)) and r.done)
    ]
    if found:
        logger.info("  %d day(s) current in the warehouse recorded in this checkpoint", len(found))
        checkpoint.record(found)


def _outcome_word(outcome: RunOutcome) -> str:
    if outcome.interrupted:
        return "interrupted"
    if outcome.halt_reason:
        return "stopped"
    return "failed_days" if outcome.failed else "complete"


@contextlib.contextmanager
def _stop_on_signals(runner: BackfillRunner) -> Iterator[None]:
    """First Ctrl-C/SIGTERM asks the runner to stop; a second Ctrl-C aborts at once."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if runner.finished:
            logger.warning("%s received after the last day finished: interrupted", name)
        else:
            logger.warning(
                "%s received: interrupted; finishing in-flight days, starting no new ones "
                "(Ctrl-C again stops at once)",
                name,
            )
        signal.signal(signal.SIGINT, signal.default_int_handler)
        runner.request_stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
