"""What every backfill job's command line shares: the ``JobSpec`` a job plugs in, the flags,
the warehouse they point at, the days a request covers, and the ``validate`` command. The run
command is ``run_command``, status is ``status_command``.

A job supplies a ``JobSpec``; this module knows nothing of what the job computes.
Exit codes live in one table: 0 all done, 1 some days failed (or validation
failed), 2 usage/config error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from shared.backfill.checkpoint import DayRecord
from shared.backfill.cloud_run import LOG_FORMATS, default_log_format
from shared.backfill.job import Job
from shared.backfill.ledger import read_checkpoints, read_ledger
from shared.backfill.planning import (
    DayPlan,
    WriteMode,
    calendar_days,
    check_range,
    parse_day,
    parse_day_list,
    resolve_range,
)
from shared.backfill.results import DayStatus
from shared.backfill.survey import Upstream
from shared.errors import ConfigError
from shared.paths import DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR, PROJECT_ROOT, display_path
from shared.warehouse.base import Dataset, Warehouse
from shared.warehouse.factory import WarehouseConfig, default_target, open_warehouse
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S

logger = logging.getLogger("backfill")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_WORKERS = 15
# Each worker is a thread with its own connection; BigQuery runs at most 100 interactive
# queries of a project at once (its concurrent-query quota), so more can only queue there.
MAX_WORKERS = 100
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
        type=nonempty("--warehouse"),
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


def nonempty(flag: str) -> Callable[[str], str]:
    """An argparse type refusing an empty value (``--start-date ''`` from an unset variable),
    which would otherwise mean the default, or the current directory for a path."""

    def given(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(f"{flag} is empty; give a value or leave it out")
        return value

    return given


def path_flag(flag: str) -> Callable[[str], Path]:
    """A non-empty path (``--checkpoint-dir ''`` would write into the current directory)."""
    return lambda value: Path(nonempty(flag)(value))


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
        "--start-date",
        type=nonempty("--start-date"),
        help="first day, YYYY-MM-DD (default: 7 days before --end-date)",
    )
    span.add_argument(
        "--end-date", type=nonempty("--end-date"), help="last day, YYYY-MM-DD (default: yesterday)"
    )
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
        "--allow-shrink",
        action="store_true",
        help="write days even where the new rows are fewer than the table holds (a real "
        "correction); each accepted shrink is recorded",
    )
    span.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="run days even if upstream days they read are missing or failed",
    )
    parser.set_defaults(with_upstream=False)
    if spec.upstream is not None:
        span.add_argument(
            "--with-upstream",
            action="store_true",
            help=f"first bring {spec.upstream.job} current over the days this range reads, then "
            f"run this range; days reading {spec.upstream.job} days that failed wait",
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
        "--write-mode",
        type=WriteMode,
        choices=list(WriteMode),
        default=WriteMode.AUTO,
        metavar="{" + ",".join(m.value for m in WriteMode) + "}",
        help="bulk: each range of up to the warehouse's limit in one atomic write (BigQuery: "
        "three jobs instead of one per day); per-day: batches of --batch-days; auto (default): "
        "bulk for a range of at least 30 days with work where the warehouse has a bulk write, "
        "never for --dates, --stale or --retry-failed",
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
        "--checkpoint-dir",
        type=path_flag("--checkpoint-dir"),
        default=DEFAULT_CHECKPOINT_DIR,
        help="default: checkpoints/",
    )
    where.add_argument(
        "--log-dir", type=path_flag("--log-dir"), default=DEFAULT_LOG_DIR, help="default: logs/"
    )
    where.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    where.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=default_log_format(),
        help="stderr's diagnostics as text, or as one JSON object per line for Cloud Logging "
        "(no progress bar) (default: json when $CLOUD_RUN_JOB is set, else text)",
    )
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
    if args.max_bytes_billed is not None and args.max_bytes_billed < 1:
        raise ConfigError(f"--max-bytes-billed must be positive (got {args.max_bytes_billed})")
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
    if not 1 <= args.workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be 1..{MAX_WORKERS} (got {args.workers})")
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


def upstream_config(spec: JobSpec, config: WarehouseConfig) -> WarehouseConfig | None:
    """The warehouse as the upstream job names it (its own datasets); None without one."""
    if spec.upstream is None:
        return None
    datasets = tuple(pair for pair in config.datasets if pair[0] in spec.upstream.datasets)
    return replace(config, job_name=spec.upstream.job, datasets=datasets)


def upstream_history(
    spec: JobSpec, config: WarehouseConfig, directory: Path
) -> Mapping[date, Sequence[DayRecord]] | None:
    """The upstream job's journal in the same warehouse; None for a job without an upstream."""
    upstream = upstream_config(spec, config)
    if spec.upstream is None or upstream is None:
        return None
    return read_ledger(directory, spec.upstream.job, warehouse=upstream.identity).history


def _covering_checkpoint(
    directory: Path, job: str, days: Sequence[date], warehouse: str
) -> tuple[date, date] | None:
    """The range of the most recently updated checkpoint of this warehouse that holds all
    ``days``."""
    candidates = [
        (path.stat().st_mtime, state.start, state.end)
        for path, state in read_checkpoints(directory, job).states
        if state.start <= days[0] and days[-1] <= state.end and not state.warehouses - {warehouse}
    ]
    if not candidates:
        return None
    _, start, end = max(candidates)
    return start, end


def build_request(args: argparse.Namespace, spec: JobSpec, today: date) -> Request:
    _checked_counts(args)
    start = parse_day(args.start_date, "--start-date") if args.start_date is not None else None
    end = parse_day(args.end_date, "--end-date") if args.end_date is not None else None
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
            identity = warehouse_config(args, spec).identity
            start, end = _covering_checkpoint(args.checkpoint_dir, spec.name, days, identity) or (
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


def invocation(spec: JobSpec) -> list[str]:
    """How this process was started, so a printed command runs as copied: the installed
    console script, or this interpreter with the job's script (paths relative to the
    current directory when inside it)."""
    started_as = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if spec.console_script and started_as == spec.console_script:
        return [spec.console_script]
    return [display_path(Path(sys.executable)), display_path(PROJECT_ROOT / spec.script)]


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
    check_range(start, end, date.today())  # noqa: DTZ011 - the run's calendar, the run's rule
    warehouse = open_warehouse(warehouse_config(args, spec), read_only=True)
    try:
        job = spec.make_job(warehouse)
        job.check_sources()
        job.check_written()
        table, passed = spec.validate(warehouse, start, end)
    finally:
        warehouse.close()
    print(table)
    return EXIT_OK if passed else EXIT_FAILED
