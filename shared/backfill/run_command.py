"""The run command: plan the range from every checkpoint and one survey of the warehouse, run
it, summarise, validate, and map the outcome to an exit code; and the dispatcher every job's
entry point calls (``run_main``), which turns each known failure into one line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import FrameType

from shared.backfill.checkpoint import (
    DONE_STATUSES,
    Checkpoint,
    DayRecord,
    checkpoint_path,
    run_lock,
    set_aside,
)
from shared.backfill.cli import (
    DEFAULT_WORKERS,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    JobSpec,
    Request,
    build_request,
    build_run_parser,
    upstream_config,
    upstream_history,
    validate_command,
    warehouse_config,
)
from shared.backfill.cloud_run import cloud_run_fields
from shared.backfill.commands import command_line, default_batch_days, run_flags
from shared.backfill.console import (
    RESULTS,
    bar_shown,
    configure_logging,
    current_run_id,
    discard_log_file,
    progress_bar_wanted,
    short_path,
    sigterm_interrupts,
    stderr_line,
)
from shared.backfill.fingerprints import inputs_of
from shared.backfill.job import Job
from shared.backfill.ledger import Ledger, read_ledger
from shared.backfill.planning import (
    DayPlan,
    WriteMode,
    calendar_days,
    make_batches,
    plan_days,
    writes_in_bulk,
)
from shared.backfill.progress import ProgressTracker
from shared.backfill.reporting import (
    LIST_LIMIT,
    LogReporter,
    Reporters,
    TqdmReporter,
    cut_list,
    emit,
    format_bytes,
    reconcile_lines,
    summary_lines,
)
from shared.backfill.results import DayResult, DayStatus
from shared.backfill.runner import BackfillRunner, RunOptions, RunOutcome
from shared.backfill.staleness import Stale
from shared.backfill.status_command import status_command
from shared.backfill.survey import History, Survey, merged_gaps, survey
from shared.errors import BackfillError, CheckpointError, ConfigError
from shared.paths import display_path
from shared.warehouse.base import Warehouse
from shared.warehouse.factory import WarehouseConfig, open_warehouse

logger = logging.getLogger("backfill")


@contextlib.contextmanager
def _stop_on_signals(runner: BackfillRunner) -> Iterator[None]:
    """First Ctrl-C/SIGTERM asks the runner to stop; a second Ctrl-C aborts at once."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if runner.finished:
            logger.warning("%s received after the last day finished", name)
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


def run(spec: JobSpec, argv: Sequence[str]) -> int:
    args = build_run_parser(spec).parse_args(argv)
    if args.batch_days is None:
        args.batch_days = default_batch_days(args.warehouse)
    today = date.today()  # noqa: DTZ011 - the user's calendar decides what "yesterday" is
    request = build_request(args, spec, today)
    config = warehouse_config(args, spec)
    path = checkpoint_path(
        args.checkpoint_dir, spec.name, request.start, request.end, config.identity
    )
    if args.with_upstream and request.days:
        code = _run_upstream(spec, args, config, request)
        if code in (EXIT_USAGE, EXIT_INTERRUPTED):
            return code
    if args.dry_run:
        return _dry_run(spec, args, config, request, path)
    with run_lock(path):
        files = RunFiles(
            configure_logging(args.log_dir, spec.name, args.debug, log_format=args.log_format),
            path,
        )
        try:
            warehouse = open_warehouse(config)
            try:
                # Only now, with the lock and an open warehouse, is old progress set aside.
                if args.no_resume and request.whole_range:
                    backup = set_aside(path)
                    if backup:
                        logger.info("--no-resume: previous checkpoint kept as %s", backup)
                checkpoint = Checkpoint.load_or_create(path, spec.name, request.start, request.end)
                checkpoint.bind_warehouse(config.identity)
                journals = Journals.read(spec, args.checkpoint_dir, config)
                return _run(spec, args, request, checkpoint, warehouse, config, journals, files)
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


@dataclass(frozen=True)
class Journals:
    """The job's and its upstream's checkpoints of this warehouse, read (strictly: a corrupt
    one stops the command) before anything is written."""

    ledger: Ledger
    upstream: History | None

    @classmethod
    def read(cls, spec: JobSpec, directory: Path, config: WarehouseConfig) -> Journals:
        return cls(
            read_ledger(directory, spec.name, warehouse=config.identity),
            upstream_history(spec, config, directory),
        )


@dataclass(frozen=True)
class Plan:
    """A run's days: the engine's split, each stale day's reasons, and the fingerprints;
    ``range_done``: the days of the whole range that are done (what "nothing to do" counts,
    also when only failed or stale days were asked for)."""

    days: DayPlan
    survey: Survey
    records: Mapping[date, DayRecord]
    range_done: int = 0

    def stale_to_run(self) -> dict[date, Stale]:
        return {day: self.survey.stale[day] for day in self.days.to_run if day in self.survey.stale}


def make_plan(
    spec: JobSpec,
    args: argparse.Namespace,
    request: Request,
    job: Job,
    warehouse: Warehouse,
    journals: Journals,
) -> Plan:
    """Which days to run and why, from one survey of the warehouse: days whose rows are not
    current (pending, failed, stale) run; current days are skipped; ``--stale`` keeps only the
    stale ones. The journal (every checkpoint of the job for this warehouse) speaks only for
    days that hold no rows, so an empty checkpoint folder reaches the same plan."""
    ledger = journals.ledger
    if not request.days:
        recorded = sum(request.start <= day <= request.end for day in ledger.done)
        return Plan(plan_days((), set(), {}), Survey({}, {}, {}, {}), ledger.days, recorded)
    found = survey(
        job,
        warehouse,
        ledger.history,
        request.days[0],
        request.days[-1],
        upstream=spec.upstream,
        upstream_history=journals.upstream,
    )
    requested = [day for day in request.days if day in found.stale] if args.stale else request.days
    # Days without work need nothing; the journal only spares recording them again.
    journaled = {day for day, record in ledger.days.items() if record.done}
    idle = journaled - set(found.work_units)
    done = found.done | idle if request.resume else frozenset()
    range_done = sum(day in done for day in calendar_days(request.start, request.end))
    return Plan(plan_days(requested, done, found.work_units), found, ledger.days, range_done)


def _run_upstream(
    spec: JobSpec, args: argparse.Namespace, config: WarehouseConfig, request: Request
) -> int:
    """``--with-upstream``: the upstream job's own command over every day this request reads,
    with this command's warehouse, folders and manner of running; its exit code."""
    upstream = spec.upstream
    assert upstream is not None and upstream.run is not None
    first = min(upstream.window(day)[0] for day in request.days)
    last = max(upstream.window(day)[1] for day in request.days)
    upstream_warehouse = upstream_config(spec, config)
    assert upstream_warehouse is not None
    argv = ["--start-date", first.isoformat(), "--end-date", last.isoformat()]
    argv += upstream_warehouse.flags()
    argv += ["--checkpoint-dir", str(args.checkpoint_dir), "--log-dir", str(args.log_dir)]
    argv += ["--max-retries", str(args.max_retries), "--log-format", args.log_format]
    if args.parallel:
        argv += ["--parallel", "--workers", str(args.workers)]
    for flag in ("dry_run", "fail_fast", "debug"):
        if getattr(args, flag):
            argv.append("--" + flag.replace("_", "-"))
    if args.simulate_latency:
        argv += ["--simulate-latency", str(args.simulate_latency)]
    logger.info("--with-upstream: bringing %s current over %s..%s first", upstream.job, first, last)
    return upstream.run(argv)


def _hold_blocked(spec: JobSpec, plan: Plan) -> tuple[Plan, int]:
    """``--with-upstream``: days reading upstream days that are still not current (failed)
    wait; the rest run."""
    blocked = plan.survey.blocked(list(plan.days.to_run))
    if not blocked or spec.upstream is None:
        return plan, 0
    logger.warning(
        "%d day(s) wait: they read %s days that are %s; rerun once those are current",
        len(blocked),
        spec.upstream.job,
        merged_gaps(blocked),
    )
    days = replace(plan.days, to_run=tuple(d for d in plan.days.to_run if d not in blocked))
    return replace(plan, days=days), len(blocked)


def _refuse_incomplete_upstream(spec: JobSpec, plan: Plan) -> None:
    blocked = plan.survey.blocked(list(plan.days.to_run))
    if not blocked or spec.upstream is None:
        return
    raise ConfigError(
        f"{len(blocked)} day(s) to run read {spec.upstream.job} days that are "
        f"{merged_gaps(blocked)}; bring {spec.upstream.job} current first (or run with "
        f"--with-upstream), or pass --allow-incomplete"
    )


def _warn_incomplete_upstream(spec: JobSpec, plan: Plan) -> None:
    """``--allow-incomplete``: what the days run anyway are missing."""
    blocked = plan.survey.blocked(list(plan.days.to_run))
    if blocked and spec.upstream is not None:
        logger.warning(
            "--allow-incomplete: %d day(s) run although they read %s days that are %s",
            len(blocked),
            spec.upstream.job,
            merged_gaps(blocked),
        )


def _run(
    spec: JobSpec,
    args: argparse.Namespace,
    request: Request,
    checkpoint: Checkpoint,
    warehouse: Warehouse,
    config: WarehouseConfig,
    journals: Journals,
    files: RunFiles,
) -> int:
    if args.write_mode is WriteMode.BULK and warehouse.bulk_write_days < 1:
        raise ConfigError(
            f"--write-mode bulk: {config.identity} has no bulk write (each batch of "
            "--batch-days is one statement already); use --batch-days"
        )
    job = spec.make_job(warehouse)
    job.prepare()
    if args.allow_shrink:
        job.accept_shrinks(request.days)
    plan = make_plan(spec, args, request, job, warehouse, journals)
    job.planned_with_rows(plan.survey.rows)
    held = 0
    if args.with_upstream and not args.allow_incomplete:
        plan, held = _hold_blocked(spec, plan)
    elif not args.allow_incomplete:
        _refuse_incomplete_upstream(spec, plan)
    else:
        _warn_incomplete_upstream(spec, plan)
    files.show()
    workers = args.workers if args.parallel else 1
    if not args.parallel and args.workers != DEFAULT_WORKERS:
        logger.warning(
            "--workers %d has no effect without --parallel: running sequentially", args.workers
        )
    mode = f"PARALLEL with {workers} workers" if args.parallel else "SEQUENTIAL"
    bulk = writes_in_bulk(
        args.write_mode,
        bulk_write_days=warehouse.bulk_write_days,
        days_with_work=sum(plan.survey.work_units.get(day, 0) > 0 for day in plan.days.to_run),
        picked=args.dates is not None or args.stale or args.retry_failed,
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
        else f"batches of up to {args.batch_days} day(s)",
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
            max_retries=args.max_retries,
            max_failures=1 if args.fail_fast else args.max_failures,
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
        max(len(plan.days.to_run), 1) if bulk else args.batch_days,
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
                "mode": "parallel" if args.parallel else "sequential",
                "workers": workers,
                "batch_days": args.batch_days,
                "write_mode": "bulk" if bulk else "per-day",
                "run_flags": run_flags(args),
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
            "The stop came when every day left had started; all of them finished, so there is "
            "nothing to resume"
        )
    code = _finish(spec, args, request, plan, tracker, outcome, warehouse)
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


def _finish(
    spec: JobSpec,
    args: argparse.Namespace,
    request: Request,
    plan: Plan,
    tracker: ProgressTracker,
    outcome: RunOutcome,
    warehouse: Warehouse,
) -> int:
    """The summary and validation (results, on stdout) and the exit code.

    A run that wrote nothing says so and exits 0 without validating: the same command gives
    the same exit code however often it is repeated.
    """
    if not tracker.total and not outcome.interrupted:
        RESULTS.info("Nothing to do: %s", _nothing_to_do(args, request, plan))
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
        RESULTS.info("    %s", _command(spec, args, *range_flags, "--retry-failed"))
        if len(outcome.failed) <= LIST_LIMIT:
            RESULTS.info("    %s", _command(spec, args, *range_flags, "--dates", failed_days))
    if outcome.held:
        held_days = ",".join(r.day.isoformat() for r in outcome.held)
        RESULTS.info("  Look at what the raw tables lost; to write the smaller days anyway:")
        RESULTS.info(
            "    %s", _command(spec, args, *range_flags, "--dates", held_days, "--allow-shrink")
        )
    if outcome.interrupted or outcome.halt_reason:
        RESULTS.info("  Resume (done days are skipped):")
        RESULTS.info("    %s", _command(spec, args, *range_flags))
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


def _nothing_to_do(args: argparse.Namespace, request: Request, plan: Plan) -> str:
    """Why a run ran nothing, counting the days of the whole range."""
    span = f"{request.start}..{request.end}"
    days = (request.end - request.start).days + 1
    if args.retry_failed:
        return f"no failed day in {span} to retry ({plan.range_done} of {days} day(s) done)"
    if args.stale:
        return f"no stale day in {span} ({plan.range_done} of {days} day(s) done)"
    return f"{plan.range_done} day(s) of {span} already done, none pending, failed or stale"


def _dry_run(
    spec: JobSpec, args: argparse.Namespace, config: WarehouseConfig, request: Request, path: Path
) -> int:
    warehouse = open_warehouse(config, read_only=True)
    try:
        job = spec.make_job(warehouse)
        job.check_sources()
        plan = make_plan(
            spec, args, request, job, warehouse, Journals.read(spec, args.checkpoint_dir, config)
        )
        print("DRY RUN: nothing is written; the checkpoint is left as is:")
        print(f"  {display_path(path)}")
        reasons = {
            day: day_reason(day, plan, spec.unit_name)
            for day in sorted({*plan.days.to_run, *plan.days.no_work, *plan.days.already_done})
        }
        for line in spec.dry_run_lines(job, warehouse, plan.days, reasons):
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


def day_reason(day: date, plan: Plan, unit_name: str) -> tuple[str, str]:
    """What a run would do with ``day``, and why: (action, reason)."""
    record = plan.records.get(day)
    stale = plan.survey.stale.get(day)
    if day in plan.days.already_done:
        return "skip", "done in checkpoint"
    if day in plan.days.no_work:
        return "skip", f"stale: {stale}; no {unit_name} now" if stale else f"no {unit_name}"
    if record is not None and record.status is DayStatus.HELD:
        return "rerun", f"held: {record.error}"
    if stale is not None:
        return "rerun", f"stale: {stale}"
    if plan.survey.work_units.get(day) == 0:
        return "clear", f"no {unit_name}; stale rows"
    if record is not None and record.status is DayStatus.FAILED:
        return "rerun", f"failed before ({record.attempts} attempts)"
    return "run", "pending"


# The subcommands every job has; anything else is a run.
SUBCOMMANDS: dict[str, Callable[[JobSpec, Sequence[str]], int]] = {
    "status": status_command,
    "validate": validate_command,
}


def run_main(spec: JobSpec, argv: Sequence[str] | None = None) -> int:
    """A job's entry point: dispatch, and turn every known failure into one line and its
    exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        with sigterm_interrupts():
            if argv and argv[0] in SUBCOMMANDS:
                return SUBCOMMANDS[argv[0]](spec, argv[1:])
            return run(spec, argv)
    except BackfillError as exc:
        if debug:
            logger.exception("failed")
        print(stderr_line(f"error: {exc}"), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError | CheckpointError) else EXIT_FAILED
    except KeyboardInterrupt:
        writes = not (argv and argv[0] in SUBCOMMANDS) and "--dry-run" not in argv
        print(
            stderr_line(
                "interrupted: stopped before finishing; finished days are recorded, rerun the "
                "same command to go on"
                if writes
                else "interrupted: stopped before finishing; nothing was written"
            ),
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other commands do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        # The environment refused something not covered above (a path too long, a full disk).
        if debug:
            logger.exception("failed")
        where = f": {short_path(Path(exc.filename))}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE


def _command(spec: JobSpec, args: argparse.Namespace, *extra: str) -> str:
    """The command line that reruns this run's target with other days (retry, resume)."""
    flags = warehouse_config(args, spec).flags()
    return command_line(spec, flags, args.checkpoint_dir, run_flags(args), *extra)
