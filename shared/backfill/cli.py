"""The thin command line every backfill job shares: parse, plan, run, summarise, exit code.

A job supplies a ``JobSpec``; this module knows nothing of what the job computes.
Exit codes live in one table: 0 all done, 1 some days failed (or validation
failed), 2 usage/config error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import FrameType

from shared.backfill.checkpoint import (
    Checkpoint,
    CheckpointState,
    checkpoint_path,
    read_checkpoint,
    run_lock,
)
from shared.backfill.job import Job
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
from shared.backfill.reporting import LogReporter, Reporters, TqdmReporter, summary_lines
from shared.backfill.results import DayResult, DayStatus
from shared.backfill.runner import BackfillRunner, RunOptions, RunOutcome
from shared.backfill.status import RangeStatus
from shared.errors import BackfillError, CheckpointError, ConfigError
from shared.paths import DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR
from shared.warehouse.base import Warehouse
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
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see --help)")


@dataclass(frozen=True)
class JobSpec:
    """What a job plugs into the shared command line."""

    name: str
    script: str
    description: str
    examples: str
    unit_name: str
    make_job: Callable[[Warehouse], Job]
    validate: Callable[[Warehouse, date, date], tuple[str, bool]]
    dry_run_lines: Callable[
        [Job, Warehouse, DayPlan, CheckpointState | None, date, date], list[str]
    ]


def add_warehouse_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("warehouse")
    group.add_argument(
        "--warehouse",
        default=default_target(),
        help="DuckDB file, or 'bigquery' (default: $BACKFILL_WAREHOUSE or data/warehouse.duckdb)",
    )
    group.add_argument("--project", help="BigQuery project (default: $GOOGLE_CLOUD_PROJECT)")
    group.add_argument("--location", help="BigQuery location, e.g. US")
    group.add_argument("--raw-dataset", default="nba_raw", help="raw dataset (default: nba_raw)")
    group.add_argument(
        "--analytics-dataset",
        default="nba_analytics",
        help="analytics dataset (default: nba_analytics)",
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
        description=spec.description,
        epilog=spec.examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    add_warehouse_flags(parser)
    return parser


def warehouse_config(args: argparse.Namespace, job_name: str) -> WarehouseConfig:
    return WarehouseConfig(
        target=args.warehouse,
        job_name=job_name,
        project=args.project,
        location=args.location,
        raw_dataset=args.raw_dataset,
        analytics_dataset=args.analytics_dataset,
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


def _covering_checkpoint(
    directory: Path, job: str, days: Sequence[date]
) -> tuple[date, date] | None:
    """The range of the most recently updated checkpoint that holds all ``days``."""
    candidates = []
    for path in directory.glob(f"{job}_*.json"):
        state = read_checkpoint(path)
        if state and state.start <= days[0] and days[-1] <= state.end:
            candidates.append((path.stat().st_mtime, state.start, state.end))
    if not candidates:
        return None
    _, start, end = max(candidates)
    return start, end


def build_request(args: argparse.Namespace, job: str, today: date) -> Request:
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
            start, end = _covering_checkpoint(args.checkpoint_dir, job, days) or (days[0], days[-1])
        return Request(start, end, tuple(days), resume=False, label=f"{len(days)} listed day(s)")
    start, end = resolve_range(start, end, today)
    if args.retry_failed:
        state = read_checkpoint(checkpoint_path(args.checkpoint_dir, job, start, end))
        failed = sorted(state.failed) if state else []
        return Request(
            start, end, tuple(failed), resume=False, label=f"{len(failed)} failed day(s)"
        )
    return Request(
        start,
        end,
        tuple(calendar_days(start, end)),
        resume=not args.no_resume,
        label="range",
        whole_range=True,
    )


def _configure_logging(log_dir: Path, job: str, debug: bool) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")  # noqa: DTZ005 - local time names the file
    log_path = log_dir / f"{job}_backfill_{stamp}_{os.getpid()}.log"
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    file_handler = logging.FileHandler(log_path, encoding="utf-8")
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(message)s")
    )
    console = _TqdmAwareHandler()
    console.setFormatter(logging.Formatter("%(message)s"))
    root.handlers[:] = [file_handler, console]
    return log_path


class _TqdmAwareHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes log lines above a live tqdm bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


@contextlib.contextmanager
def _stop_on_signals(runner: BackfillRunner) -> Iterator[None]:
    """First Ctrl-C/SIGTERM asks the runner to stop; a second Ctrl-C aborts at once."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        logger.warning(
            "%s received: finishing in-flight days, starting no new ones",
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


def _command(spec: JobSpec, args: argparse.Namespace, *extra: str) -> str:
    """The command line that reruns this run's target with other days (retry, resume)."""
    parts = ["python", spec.script, *_warehouse_flags(warehouse_config(args, spec.name).identity)]
    if args.location:
        parts += ["--location", args.location]
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
    request = build_request(args, spec.name, today)
    config = warehouse_config(args, spec.name)
    path = checkpoint_path(args.checkpoint_dir, spec.name, request.start, request.end)
    if args.dry_run:
        return _dry_run(spec, args, config, request, path)
    with run_lock(path):
        checkpoint = Checkpoint.load_or_create(
            path, spec.name, request.start, request.end, fresh=args.no_resume
        )
        _check_warehouse(checkpoint, config)
        warehouse = open_warehouse(config)
        try:
            log_path = _configure_logging(args.log_dir, spec.name, args.debug)
            logger.info("Log file: %s", log_path)
            logger.info("Checkpoint: %s", path)
            return _run(spec, args, request, checkpoint, warehouse)
        finally:
            warehouse.close()


def _check_warehouse(checkpoint: Checkpoint, config: WarehouseConfig) -> None:
    recorded = {str(run["warehouse"]) for run in checkpoint.snapshot().runs if run.get("warehouse")}
    if recorded and config.identity not in recorded:
        raise CheckpointError(
            f"checkpoint {checkpoint.path} records runs on {sorted(recorded)[0]}, not "
            f"{config.identity}; use another --checkpoint-dir or --no-resume"
        )


def _run(
    spec: JobSpec,
    args: argparse.Namespace,
    request: Request,
    checkpoint: Checkpoint,
    warehouse: Warehouse,
) -> int:
    job = spec.make_job(warehouse)
    job.prepare()
    state = checkpoint.snapshot()
    done = state.done if request.resume else set()
    work_units = job.work_units(request.days[0], request.days[-1]) if request.days else {}
    plan = plan_days(request.days, done, work_units)
    if args.retry_failed and not request.days:
        logger.info("No failed days in %s: nothing to retry", checkpoint.path)
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
    logger.info(
        "Days: %d to run, %d without %s, %d already done (checkpoint)",
        len(plan.to_run),
        len(plan.no_work),
        spec.unit_name,
        len(plan.already_done),
    )
    tracker = ProgressTracker(total=len(plan.to_run) + len(plan.no_work), workers=workers)
    reporters: list[LogReporter | TqdmReporter] = [LogReporter()]
    if sys.stderr.isatty():
        reporters.append(TqdmReporter(total=tracker.total))
    reporter = Reporters(*reporters)
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
    )
    skipped = [DayResult(day=day, status=DayStatus.SKIPPED) for day in plan.no_work]
    started_at = datetime.now().astimezone().isoformat(timespec="seconds")
    outcome = RunOutcome()
    try:
        with _stop_on_signals(runner):
            runner.record_without_running(skipped)
            outcome = runner.run(make_batches(plan.to_run, work_units, args.batch_days), work_units)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        reporter.close(tracker.snapshot())
        checkpoint.record_run(
            {
                "started_at": started_at,
                "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                "pid": os.getpid(),
                "warehouse": warehouse_config(args, spec.name).identity,
                "mode": "parallel" if args.parallel else "sequential",
                "workers": workers,
                "batch_days": args.batch_days,
                "days_planned": tracker.total,
                "days_processed": tracker.snapshot().processed,
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
    plan: DayPlan,
    tracker: ProgressTracker,
    outcome: RunOutcome,
    warehouse: Warehouse,
) -> int:
    for line in summary_lines(outcome, tracker, planned=tracker.total):
        logger.info(line)
    range_flags = ("--start-date", request.start.isoformat(), "--end-date", request.end.isoformat())
    if outcome.failed:
        failed_days = ",".join(r.day.isoformat() for r in outcome.failed)
        logger.info("  Retry the failed days:")
        logger.info("    %s", _command(spec, args, *range_flags, "--retry-failed"))
        logger.info("    %s", _command(spec, args, *range_flags, "--dates", failed_days))
    if outcome.interrupted or outcome.halt_reason:
        logger.info("  Resume (done days are skipped):")
        logger.info("    %s", _command(spec, args, *range_flags))
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    exit_code = EXIT_FAILED if outcome.failed or outcome.halt_reason else EXIT_OK
    wrote = [r.day for r in outcome.results if r.status is DayStatus.SUCCESS]
    finished_earlier = request.whole_range and not plan.to_run and bool(plan.already_done)
    if wrote or finished_earlier:
        # A whole range is validated as a whole (its bands apply); listed days by their span.
        first, last = (
            (request.start, request.end) if request.whole_range else (min(wrote), max(wrote))
        )
        table, passed = spec.validate(warehouse, first, last)
        for line in table.splitlines():
            logger.info(line)
        if not passed:
            exit_code = EXIT_FAILED
    return exit_code


def _dry_run(
    spec: JobSpec, args: argparse.Namespace, config: WarehouseConfig, request: Request, path: Path
) -> int:
    state = read_checkpoint(path)
    done = state.done if state and request.resume else set()
    warehouse = open_warehouse(config, read_only=True)
    try:
        job = spec.make_job(warehouse)
        work_units = job.work_units(request.days[0], request.days[-1]) if request.days else {}
        plan = plan_days(request.days, done, work_units)
        print(f"DRY RUN: nothing is written (checkpoint {path} left as is)")
        for line in spec.dry_run_lines(job, warehouse, plan, state, request.start, request.end):
            print(line)
    finally:
        warehouse.close()
    return EXIT_OK


def run_main(
    spec: JobSpec,
    argv: Sequence[str] | None,
    subcommands: dict[str, Callable[[Sequence[str]], int]],
) -> int:
    """Dispatch, and turn every known failure into one line and its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        if argv and argv[0] in subcommands:
            return subcommands[argv[0]](argv[1:])
        return run(spec, argv)
    except BackfillError as exc:
        if debug:
            logger.exception("failed")
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError | CheckpointError) else EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other commands do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def validate_command(spec: JobSpec, argv: Sequence[str]) -> int:
    """``validate --start-date D --end-date D``: the job's checks as a table; exit 1 on a failure."""
    parser = _Parser(prog=f"{spec.script} validate", description="Validate the job's table.")
    parser.add_argument("--start-date", required=True)
    parser.add_argument("--end-date", required=True)
    parser.add_argument("--debug", action="store_true")
    add_warehouse_flags(parser)
    args = parser.parse_args(argv)
    start = parse_day(args.start_date, "--start-date")
    end = parse_day(args.end_date, "--end-date")
    if start > end:
        raise ConfigError(f"--start-date {start} is after --end-date {end}")
    warehouse = open_warehouse(warehouse_config(args, spec.name), read_only=True)
    try:
        table, passed = spec.validate(warehouse, start, end)
    finally:
        warehouse.close()
    print(table)
    return EXIT_OK if passed else EXIT_FAILED


def status_command(spec: JobSpec, argv: Sequence[str]) -> int:
    """``status``: the checkpoint of a range as counts, a calendar, failures and next commands."""
    parser = _Parser(
        prog=f"{spec.script} status", description="Show a range's progress from its checkpoint."
    )
    parser.add_argument("--start-date")
    parser.add_argument("--end-date")
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint file (instead of a range)")
    parser.add_argument(
        "--checkpoint-dir", type=Path, default=DEFAULT_CHECKPOINT_DIR, help="default: checkpoints/"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the calendar")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    if args.checkpoint:
        state = read_checkpoint(args.checkpoint)
        if state is None:
            raise ConfigError(f"--checkpoint {args.checkpoint} does not exist")
        start, end, path = state.start, state.end, args.checkpoint
    else:
        today = date.today()  # noqa: DTZ011 - same calendar as the run's default range
        start, end = resolve_range(
            parse_day(args.start_date, "--start-date") if args.start_date else None,
            parse_day(args.end_date, "--end-date") if args.end_date else None,
            today,
        )
        path = checkpoint_path(args.checkpoint_dir, spec.name, start, end)
        state = read_checkpoint(path)
    command = ["python", spec.script]
    if state and state.runs:
        command += _warehouse_flags(state.runs[-1].get("warehouse", ""))
    if args.checkpoint_dir != DEFAULT_CHECKPOINT_DIR:
        command += ["--checkpoint-dir", str(args.checkpoint_dir)]
    status = RangeStatus.from_state(state, spec.name, start, end, shlex.join(command))
    if args.json:
        print(json.dumps({"checkpoint": str(path), **status.to_json()}, indent=2))
    else:
        if state is None:
            print(f"no checkpoint yet at {path}: every day is pending")
        print(status.render(colour=sys.stdout.isatty()), end="")
    return EXIT_OK


def _warehouse_flags(identity: str) -> list[str]:
    """The flags that point a command at the warehouse a checkpoint's last run used."""
    kind, _, rest = identity.partition(":")
    if kind == "bigquery":
        project, raw, analytics = rest.split(":")
        flags = ["--warehouse", BIGQUERY, "--project", project]
        if raw != "nba_raw":
            flags += ["--raw-dataset", raw]
        if analytics != "nba_analytics":
            flags += ["--analytics-dataset", analytics]
        return flags
    if kind == "duckdb" and rest != str(Path(default_target()).resolve()):
        return ["--warehouse", rest]
    return []
