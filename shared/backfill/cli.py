"""The thin command line every backfill job shares: parse, plan, run, summarise, exit code.

A job supplies a ``JobSpec``; this module knows nothing of what the job computes.
Exit codes live in one table: 0 all done, 1 some days failed (or validation
failed), 2 usage/config error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import logging
import os
import shlex
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from shared.backfill.checkpoint import (
    Checkpoint,
    DayRecord,
    checkpoint_path,
    read_checkpoint,
    run_lock,
    set_aside,
)
from shared.backfill.console import (
    RESULTS,
    bar_shown,
    configure_logging,
    display_path,
    sigterm_interrupts,
)
from shared.backfill.fingerprints import inputs_of
from shared.backfill.job import Job
from shared.backfill.ledger import job_checkpoints, read_ledger
from shared.backfill.planning import (
    DayPlan,
    calendar_days,
    check_range,
    make_batches,
    parse_day,
    parse_day_list,
    plan_days,
    resolve_range,
)
from shared.backfill.progress import ProgressTracker
from shared.backfill.reporting import (
    LogReporter,
    Reporters,
    TqdmReporter,
    format_bytes,
    summary_lines,
)
from shared.backfill.results import DayResult, DayStatus
from shared.backfill.runner import BackfillRunner, RunOptions, RunOutcome
from shared.backfill.staleness import Stale
from shared.backfill.survey import Survey, Upstream, survey
from shared.errors import BackfillError, CheckpointError, ConfigError
from shared.paths import DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR, PROJECT_ROOT
from shared.warehouse.base import Dataset, Warehouse
from shared.warehouse.factory import BIGQUERY, WarehouseConfig, default_target, open_warehouse
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S

logger = logging.getLogger("backfill")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_WORKERS = 15
DEFAULT_MAX_RETRIES = 3
# Game days per statement when --batch-days is not given. Embedded: measured with `make bench`
# on the default range, 15 workers: engine time 10.2 s at K=1, 1.65 s at K=30, 1.44 s at K=60,
# 1.45 s at K=120 (the one-statement floor: 0.8 s). Per-statement overhead dominates a day's
# work, and K=60 keeps a failing batch to six bisection rounds. BigQuery: 1, because a day is
# then one partition-truncating query job, the cheapest atomic write there; a batch costs a
# staging table and one copy job per day.
DEFAULT_DUCKDB_BATCH_DAYS = 60
DEFAULT_BIGQUERY_BATCH_DAYS = 1


class UsageError(ConfigError):
    """Raised by the argument parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, and never accepts an abbreviated flag (``--worker 3``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see --help)")


@dataclass(frozen=True)
class JobSpec:
    """What a job plugs into the shared command line."""

    name: str
    script: str
    description: str
    examples: str
    # The installed console script (pyproject.toml) that runs this job, if any.
    console_script: str | None
    unit_name: str
    datasets: tuple[Dataset, ...]
    make_job: Callable[[Warehouse], Job]
    validate: Callable[[Warehouse, date, date], tuple[str, bool]]
    # The dry run's table: the job adds its own columns to each day's (action, reason).
    dry_run_lines: Callable[[Job, Warehouse, DayPlan, Mapping[date, tuple[str, str]]], list[str]]
    upstream: Upstream | None = None

    @property
    def all_datasets(self) -> tuple[Dataset, ...]:
        """The job's datasets and its upstream's (whose SQL it may run to check upstream days)."""
        upstream = self.upstream.datasets if self.upstream else ()
        return tuple({d.name: d for d in (*upstream, *self.datasets)}.values())


def add_warehouse_flags(parser: argparse.ArgumentParser, datasets: Sequence[Dataset]) -> None:
    group = parser.add_argument_group("warehouse")
    group.add_argument(
        "--warehouse",
        default=default_target(),
        help="DuckDB file, or 'bigquery' (default: $BACKFILL_WAREHOUSE or data/warehouse.duckdb)",
    )
    group.add_argument("--project", help="BigQuery project (default: $GOOGLE_CLOUD_PROJECT)")
    group.add_argument("--location", help="BigQuery location, e.g. US")
    for dataset in datasets:
        group.add_argument(
            dataset.flag,
            default=dataset.name,
            dest=_dataset_dest(dataset),
            metavar="NAME",
            help=f"{dataset.role} dataset (BigQuery) or schema (DuckDB) (default: {dataset.name})",
        )
    group.add_argument(
        "--max-bytes-billed",
        type=int,
        help="BigQuery: fail (without charge) any job that would bill more bytes than this",
    )
    group.add_argument(
        "--pace-table-updates",
        type=_pace,
        default=DEFAULT_TABLE_UPDATES_PER_10S,
        metavar="N|off",
        help="BigQuery: start at most N update operations (partition writes, copies, deletes, "
        "DML) per 10 s per table; BigQuery allows 50 (default %(default)g; 0 or 'off' disables)",
    )
    group.add_argument(
        "--simulate-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="add this round trip to every statement, as a remote engine has (benchmarks, drills)",
    )


def version() -> str:
    try:
        return importlib.metadata.version("nba-backfill")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed; run `make venv`)"


SUBCOMMANDS_HELP = """\
commands (each has its own --help):
  (none)     run the backfill over a range (the flags below)
  status     every checkpoint of the job for a range: counts, a calendar, failed and stale
             days, the commands to go on; --verify also reads the warehouse
  validate   the job's checks over a range of its table, as a table; exit 1 on a failure
"""


def _pace(value: str) -> float | None:
    """``--pace-table-updates``: a positive rate, or 0 / off for none."""
    if value.strip().lower() in {"off", "0", "0.0"}:
        return None
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not rate > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number or 'off', got {value!r}")
    return rate


def build_run_parser(spec: JobSpec) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=spec.script,
        description=f"{spec.description}\n\n{SUBCOMMANDS_HELP}",
        epilog=spec.examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{spec.name} backfill {version()}")
    span = parser.add_argument_group("which days")
    span.add_argument(
        "--start-date", help="first day, YYYY-MM-DD (default: 7 days before --end-date)"
    )
    span.add_argument("--end-date", help="last day, YYYY-MM-DD (default: yesterday)")
    span.add_argument("--dates", help="comma list of days to (re)run, e.g. 2022-01-10,2022-01-12")
    span.add_argument(
        "--retry-failed", action="store_true", help="rerun the checkpoint's failed days"
    )
    span.add_argument(
        "--no-resume", action="store_true", help="ignore the checkpoint; redo every day"
    )
    span.add_argument(
        "--stale",
        action="store_true",
        help="run only the days whose inputs or rows changed since they were written",
    )
    span.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="run days even if upstream days they read are missing or failed",
    )
    span.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would run and the raw data each day has; writes nothing",
    )
    how = parser.add_argument_group("how")
    how.add_argument("--parallel", action="store_true", help="run days concurrently")
    how.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"parallel workers (default {DEFAULT_WORKERS})",
    )
    how.add_argument(
        "--batch-days",
        type=int,
        help=f"game days computed per statement (default {DEFAULT_DUCKDB_BATCH_DAYS} on DuckDB, "
        f"{DEFAULT_BIGQUERY_BATCH_DAYS} on BigQuery)",
    )
    how.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        help="retries of a transient error, with exponential backoff (default %(default)s)",
    )
    how.add_argument(
        "--fail-fast", action="store_true", help="stop starting days after the first failure"
    )
    how.add_argument("--max-failures", type=int, help="stop starting days after N failed days")
    where = parser.add_argument_group("state and logs")
    where.add_argument(
        "--checkpoint-dir", type=Path, default=DEFAULT_CHECKPOINT_DIR, help="default: checkpoints/"
    )
    where.add_argument("--log-dir", type=Path, default=DEFAULT_LOG_DIR, help="default: logs/")
    where.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    add_warehouse_flags(parser, spec.all_datasets)
    return parser


def _dataset_dest(dataset: Dataset) -> str:
    return "dataset_" + dataset.flag.lstrip("-").replace("-", "_")


# A simulated round trip is a drill aid; an hour per statement is already far past any use.
MAX_SIMULATED_LATENCY_S = 3600.0


def warehouse_config(args: argparse.Namespace, spec: JobSpec) -> WarehouseConfig:
    latency = args.simulate_latency
    if not 0 <= latency <= MAX_SIMULATED_LATENCY_S:  # also refuses nan
        raise ConfigError(
            f"--simulate-latency must be 0..{MAX_SIMULATED_LATENCY_S:g} seconds (got {latency})"
        )
    return WarehouseConfig(
        target=args.warehouse,
        job_name=spec.name,
        datasets=tuple((d, getattr(args, _dataset_dest(d))) for d in spec.all_datasets),
        project=args.project,
        location=args.location,
        max_bytes_billed=args.max_bytes_billed,
        simulated_latency_s=args.simulate_latency,
        table_updates_per_10s=args.pace_table_updates,
    )


@dataclass(frozen=True)
class Request:
    """The validated command: which checkpoint, which days, and whether done days count."""

    start: date
    end: date
    days: tuple[date, ...]
    resume: bool
    label: str
    whole_range: bool = False


def _checked_counts(args: argparse.Namespace) -> None:
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {args.workers})")
    if args.batch_days is not None and args.batch_days < 1:
        raise ConfigError(f"--batch-days must be at least 1 (got {args.batch_days})")
    if args.max_retries < 0:
        raise ConfigError(f"--max-retries must be 0 or more (got {args.max_retries})")
    if args.max_failures is not None and args.max_failures < 1:
        raise ConfigError(f"--max-failures must be at least 1 (got {args.max_failures})")
    if args.dates is not None and args.retry_failed:
        raise ConfigError("--dates and --retry-failed exclude each other; pick one")
    if args.stale and (args.dates is not None or args.retry_failed or args.no_resume):
        raise ConfigError(
            "--stale picks the range's stale days; drop --dates/--retry-failed/--no-resume"
        )


def _covering_checkpoint(
    directory: Path, job: str, days: Sequence[date]
) -> tuple[date, date] | None:
    """The range of the most recently updated checkpoint that holds all ``days``."""
    candidates = []
    for path in job_checkpoints(directory, job):
        state = read_checkpoint(path)
        if state and state.start <= days[0] and days[-1] <= state.end:
            candidates.append((path.stat().st_mtime, state.start, state.end))
    if not candidates:
        return None
    _, start, end = max(candidates)
    return start, end


def build_request(args: argparse.Namespace, spec: JobSpec, today: date) -> Request:
    _checked_counts(args)
    start = parse_day(args.start_date, "--start-date") if args.start_date else None
    end = parse_day(args.end_date, "--end-date") if args.end_date else None
    if args.dates is not None:
        days = parse_day_list(args.dates)
        check_range(days[0], days[-1], today)
        if start or end:
            start, end = resolve_range(start or days[0], end or days[-1], today)
            outside = [d for d in days if not start <= d <= end]
            if outside:
                raise ConfigError(
                    f"--dates {outside[0]} is outside --start-date {start} .. --end-date {end}"
                )
        else:
            start, end = _covering_checkpoint(args.checkpoint_dir, spec.name, days) or (
                days[0],
                days[-1],
            )
        return Request(start, end, tuple(days), resume=False, label=f"{len(days)} listed day(s)")
    start, end = resolve_range(start, end, today)
    if args.retry_failed:
        ledger = read_ledger(
            args.checkpoint_dir, spec.name, warehouse=warehouse_config(args, spec).identity
        )
        failed = sorted(
            day
            for day, record in ledger.days.items()
            if start <= day <= end and record.status is DayStatus.FAILED
        )
        return Request(
            start, end, tuple(failed), resume=False, label=f"{len(failed)} failed day(s)"
        )
    return Request(
        start,
        end,
        tuple(calendar_days(start, end)),
        resume=not args.no_resume,
        label="stale days" if args.stale else "range",
        whole_range=True,
    )


@contextlib.contextmanager
def _stop_on_signals(runner: BackfillRunner) -> Iterator[None]:
    """First Ctrl-C/SIGTERM asks the runner to stop; a second Ctrl-C aborts at once."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        logger.warning(
            "%s received: interrupted; finishing in-flight days, starting no new ones "
            "(Ctrl-C again stops at once)",
            signal.Signals(signum).name,
        )
        signal.signal(signal.SIGINT, signal.default_int_handler)
        runner.request_stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def invocation(spec: JobSpec) -> list[str]:
    """How this process was started, so a printed command runs as copied: the installed
    console script, or this interpreter with the job's script (paths relative to the
    current directory when inside it)."""
    started_as = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if spec.console_script and started_as == spec.console_script:
        return [spec.console_script]
    return [display_path(Path(sys.executable)), display_path(PROJECT_ROOT / spec.script)]


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else f"{text[:40]}...{text[-30:]}"


def _command(spec: JobSpec, args: argparse.Namespace, *extra: str) -> str:
    """The command line that reruns this run's target with other days (retry, resume)."""
    parts = [*invocation(spec), *warehouse_config(args, spec).flags()]
    if args.checkpoint_dir != DEFAULT_CHECKPOINT_DIR:
        parts += ["--checkpoint-dir", str(args.checkpoint_dir)]
    if args.parallel:
        parts += ["--parallel", "--workers", str(args.workers)]
    return shlex.join([*parts, *extra])


def run(spec: JobSpec, argv: Sequence[str]) -> int:
    args = build_run_parser(spec).parse_args(argv)
    if args.batch_days is None:
        bigquery = args.warehouse == BIGQUERY
        args.batch_days = DEFAULT_BIGQUERY_BATCH_DAYS if bigquery else DEFAULT_DUCKDB_BATCH_DAYS
    today = date.today()  # noqa: DTZ011 - the user's calendar decides what "yesterday" is
    request = build_request(args, spec, today)
    config = warehouse_config(args, spec)
    path = checkpoint_path(args.checkpoint_dir, spec.name, request.start, request.end)
    if args.dry_run:
        return _dry_run(spec, args, config, request, path)
    with run_lock(path):
        log_path = configure_logging(args.log_dir, spec.name, args.debug)
        warehouse = open_warehouse(config)
        try:
            # Only now, with the lock and an open warehouse, is old progress set aside.
            if args.no_resume and request.whole_range:
                backup = set_aside(path)
                if backup:
                    logger.info("--no-resume: previous checkpoint kept as %s", backup)
            checkpoint = Checkpoint.load_or_create(path, spec.name, request.start, request.end)
            checkpoint.bind_warehouse(config.identity)
            logger.info("Log file: %s", log_path)
            logger.info("Checkpoint: %s", path)
            return _run(spec, args, request, checkpoint, warehouse, config)
        finally:
            warehouse.close()


@dataclass(frozen=True)
class Plan:
    """A run's days: the engine's split, each stale day's reasons, and the fingerprints."""

    days: DayPlan
    survey: Survey
    records: Mapping[date, DayRecord]

    def stale_to_run(self) -> dict[date, Stale]:
        return {day: self.survey.stale[day] for day in self.days.to_run if day in self.survey.stale}


def make_plan(
    spec: JobSpec,
    args: argparse.Namespace,
    request: Request,
    job: Job,
    warehouse: Warehouse,
    config: WarehouseConfig,
) -> Plan:
    """Which days to run and why, from every checkpoint of the job and one survey of the
    warehouse: pending, failed and stale days run; done days whose inputs and rows still
    match are skipped; ``--stale`` keeps only the stale ones."""
    records: Mapping[date, DayRecord] = {}
    if request.resume:
        records = read_ledger(args.checkpoint_dir, spec.name, warehouse=config.identity).days
    upstream_records = None
    if spec.upstream is not None:
        upstream_config = replace(
            config,
            datasets=tuple(pair for pair in config.datasets if pair[0] in spec.upstream.datasets),
        )
        upstream_records = read_ledger(
            args.checkpoint_dir, spec.upstream.job, warehouse=upstream_config.identity
        ).days
    if not request.days:
        return Plan(plan_days((), set(), {}), Survey({}, {}, {}, frozenset()), records)
    found = survey(
        job,
        warehouse,
        records,
        request.days[0],
        request.days[-1],
        upstream=spec.upstream,
        upstream_records=upstream_records,
    )
    requested = [day for day in request.days if day in found.stale] if args.stale else request.days
    done = {day for day, record in records.items() if record.done} - set(found.stale)
    return Plan(plan_days(requested, done, found.work_units), found, records)


def _refuse_incomplete_upstream(spec: JobSpec, plan: Plan) -> None:
    blocked = plan.survey.blocked(list(plan.days.to_run))
    if not blocked or spec.upstream is None:
        return
    missing = sorted({day for gaps in blocked.values() for day in gaps[0]})
    failed = sorted({day for gaps in blocked.values() for day in gaps[1]})
    parts = []
    if missing:
        parts.append(f"{len(missing)} not backfilled ({_span(missing)})")
    if failed:
        parts.append(f"{len(failed)} failed ({_span(failed)})")
    raise ConfigError(
        f"{len(blocked)} day(s) to run read {spec.upstream.job} days that are "
        f"{' and '.join(parts)}; backfill {spec.upstream.job} first, or pass --allow-incomplete"
    )


def _span(days: Sequence[date]) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"


def _run(
    spec: JobSpec,
    args: argparse.Namespace,
    request: Request,
    checkpoint: Checkpoint,
    warehouse: Warehouse,
    config: WarehouseConfig,
) -> int:
    job = spec.make_job(warehouse)
    job.prepare()
    plan = make_plan(spec, args, request, job, warehouse, config)
    if not args.allow_incomplete:
        _refuse_incomplete_upstream(spec, plan)
    if args.retry_failed and not request.days:
        logger.info("No failed days in %s..%s: nothing to retry", request.start, request.end)
    workers = args.workers if args.parallel else 1
    if not args.parallel and args.workers != DEFAULT_WORKERS:
        logger.warning(
            "--workers %d has no effect without --parallel: running sequentially", args.workers
        )
    mode = f"PARALLEL with {workers} workers" if args.parallel else "SEQUENTIAL"
    logger.info(
        "Running %s %s..%s (%s) in %s mode, batches of up to %d day(s)",
        spec.name,
        request.start,
        request.end,
        request.label,
        mode,
        args.batch_days,
    )
    stale = plan.stale_to_run()
    logger.info(
        "Days: %d to run (%d stale), %d without %s, %d already done",
        len(plan.days.to_run),
        len(stale),
        len(plan.days.no_work),
        spec.unit_name,
        len(plan.days.already_done),
    )
    for day, why in stale.items():
        logger.info("  stale %s: %s", day, why)
    if plan.survey.unverified:
        logger.info(
            "  %d done day(s) were written before input fingerprints were recorded: their "
            "inputs are unverified (rerun them with --dates or --no-resume to record them)",
            len(plan.survey.unverified),
        )
    tracker = ProgressTracker(total=len(plan.days.to_run) + len(plan.days.no_work), workers=workers)
    reporters: list[LogReporter | TqdmReporter] = [LogReporter()]
    if sys.stderr.isatty() and tracker.total:
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
        take_cost=warehouse.take_cost,
    )
    skipped = [DayResult(day=day, status=DayStatus.SKIPPED) for day in plan.days.no_work]
    started_at = datetime.now().astimezone().isoformat(timespec="seconds")
    outcome = RunOutcome()
    try:
        with _stop_on_signals(runner):
            runner.record_without_running(skipped)
            outcome = runner.run(
                make_batches(plan.days.to_run, plan.survey.work_units, args.batch_days),
                plan.survey.work_units,
            )
    except KeyboardInterrupt:
        # A second Ctrl-C: the runner's own record of what finished still stands.
        outcome = runner.outcome
        outcome.interrupted = True
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
                "days_planned": tracker.total,
                "days_processed": tracker.snapshot().processed,
                "days_stale": len(stale),
                "elapsed_s": round(outcome.elapsed_s, 3),
                "outcome": _outcome_word(outcome),
            }
        )
    return _finish(spec, args, request, plan, tracker, outcome, warehouse)


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
        RESULTS.info(
            "Nothing to do: %d day(s) of %s..%s already done, none pending, failed or stale",
            len(plan.days.already_done),
            request.start,
            request.end,
        )
        return EXIT_OK
    for line in summary_lines(outcome, tracker, planned=tracker.total):
        RESULTS.info(line)
    stale = plan.stale_to_run()
    if stale:
        written = {r.day for r in outcome.results if r.status is not DayStatus.FAILED}
        RESULTS.info("  Stale days rerun (%d):", len(stale))
        for day, why in stale.items():
            RESULTS.info("    %s: %s%s", day, why, "" if day in written else " (not rerun yet)")
    range_flags = ("--start-date", request.start.isoformat(), "--end-date", request.end.isoformat())
    if outcome.failed:
        failed_days = ",".join(r.day.isoformat() for r in outcome.failed)
        RESULTS.info("  Retry the failed days:")
        RESULTS.info("    %s", _command(spec, args, *range_flags, "--retry-failed"))
        RESULTS.info("    %s", _command(spec, args, *range_flags, "--dates", failed_days))
    if outcome.interrupted or outcome.halt_reason:
        RESULTS.info("  Resume (done days are skipped):")
        RESULTS.info("    %s", _command(spec, args, *range_flags))
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    exit_code = EXIT_FAILED if outcome.failed or outcome.halt_reason else EXIT_OK
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


def _dry_run(
    spec: JobSpec, args: argparse.Namespace, config: WarehouseConfig, request: Request, path: Path
) -> int:
    warehouse = open_warehouse(config, read_only=True)
    try:
        job = spec.make_job(warehouse)
        plan = make_plan(spec, args, request, job, warehouse, config)
        print(f"DRY RUN: nothing is written (checkpoint {display_path(path)} left as is)")
        reasons = {
            day: day_reason(day, plan, spec.unit_name)
            for day in sorted({*plan.days.to_run, *plan.days.no_work, *plan.days.already_done})
        }
        for line in spec.dry_run_lines(job, warehouse, plan.days, reasons):
            print(line)
        for line in _fingerprint_cost_lines(job, warehouse, request):
            print(line)
        blocked = plan.survey.blocked(list(plan.days.to_run))
        if blocked and spec.upstream is not None:
            print(
                f"{len(blocked)} day(s) read {spec.upstream.job} days that are not backfilled or "
                f"failed: a run refuses them unless --allow-incomplete"
            )
    finally:
        warehouse.close()
    return EXIT_OK


def _fingerprint_cost_lines(job: Job, warehouse: Warehouse, request: Request) -> list[str]:
    """What the input fingerprints of the range scan, where the warehouse tells (BigQuery)."""
    if not job.sources or not request.days:
        return []
    params = {"start_date": request.days[0], "end_date": request.days[-1]}
    estimates = {
        source.name: warehouse.estimate_bytes(source.sql, params) for source in job.sources
    }
    if any(value is None for value in estimates.values()):
        return []
    parts = ", ".join(f"{name} {format_bytes(value or 0)}" for name, value in estimates.items())
    total = sum(value or 0 for value in estimates.values())
    return [
        f"input fingerprints (one query per source, every run): {parts}; {format_bytes(total)} in all"
    ]


def day_reason(day: date, plan: Plan, unit_name: str) -> tuple[str, str]:
    """What a run would do with ``day``, and why: (action, reason)."""
    record = plan.records.get(day)
    stale = plan.survey.stale.get(day)
    if day in plan.days.already_done:
        return "skip", "done in checkpoint"
    if day in plan.days.no_work:
        return "skip", f"stale: {stale}; no {unit_name} now" if stale else f"no {unit_name}"
    if stale is not None:
        return "rerun", f"stale: {stale}"
    if plan.survey.work_units.get(day) == 0:
        return "clear", f"no {unit_name}; stale rows"
    if record is not None and record.status is DayStatus.FAILED:
        return "rerun", f"failed before ({record.attempts} attempts)"
    return "run", "pending"


def run_main(
    spec: JobSpec,
    argv: Sequence[str] | None,
    subcommands: dict[str, Callable[[Sequence[str]], int]],
) -> int:
    """Dispatch, and turn every known failure into one line and its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        with sigterm_interrupts():
            if argv and argv[0] in subcommands:
                return subcommands[argv[0]](argv[1:])
            return run(spec, argv)
    except BackfillError as exc:
        if debug:
            logger.exception("failed")
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError | CheckpointError) else EXIT_FAILED
    except KeyboardInterrupt:
        print(
            "interrupted: stopped before finishing; finished days are recorded, rerun the same "
            "command to go on",
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
        where = f": {_short(Path(exc.filename))}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE


def validate_command(spec: JobSpec, argv: Sequence[str]) -> int:
    """``validate --start-date D --end-date D``: the job's checks as a table; exit 1 on a failure."""
    parser = _Parser(prog=f"{spec.script} validate", description="Validate the job's table.")
    parser.add_argument("--start-date", required=True)
    parser.add_argument("--end-date", required=True)
    parser.add_argument("--debug", action="store_true")
    add_warehouse_flags(parser, spec.all_datasets)
    args = parser.parse_args(argv)
    start = parse_day(args.start_date, "--start-date")
    end = parse_day(args.end_date, "--end-date")
    if start > end:
        raise ConfigError(f"--start-date {start} is after --end-date {end}")
    warehouse = open_warehouse(warehouse_config(args, spec), read_only=True)
    try:
        table, passed = spec.validate(warehouse, start, end)
    finally:
        warehouse.close()
    print(table)
    return EXIT_OK if passed else EXIT_FAILED
