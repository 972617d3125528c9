"""Every job's command line, declared once: the run's flags on the command itself (no
subcommand is a run), ``status`` and ``validate`` as subcommands sharing a parent parser, and
each warehouse's flags from its adapter. The parsed flags stop here: ``parse`` returns the
typed value each command runs with (``context``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from shared.backfill.cloud_run import LOG_FORMATS, default_log_format
from shared.backfill.commands import invocation, shell_line
from shared.backfill.context import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_WORKERS,
    Paths,
    RunContext,
    RunSettings,
    Selection,
    StatusQuery,
    ValidateQuery,
)
from shared.backfill.planning import WriteMode, check_range, parse_day, parse_day_list
from shared.backfill.request import build_request
from shared.backfill.spec import JobSpec
from shared.errors import ConfigError
from shared.paths import DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR
from shared.warehouse.factory import WarehouseConfig
from shared.warehouse.options import (
    TARGET_FLAGS,
    add_warehouse_flags,
    batch_days_help,
    default_batch_days,
    warehouse_config,
)

# Each worker is a thread with its own connection; BigQuery runs at most 100 interactive
# queries of a project at once (its concurrent-query quota), so more can only queue there.
MAX_WORKERS = 100

SUBCOMMANDS_HELP = """\
commands (each has its own --help):
  (none)     run the backfill over a range (the flags below)
  status     every checkpoint of the job for a range: counts, a calendar, failed and stale
             days, the commands to go on; --verify also reads the warehouse
  validate   the job's checks over a range of its table, as a table; exit 1 on a failure
"""

Command = RunContext | StatusQuery | ValidateQuery


class UsageError(ConfigError):
    """Raised by the argument parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, and never accepts an abbreviated flag (``--worker 3``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see --help)")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if not isinstance(action, _Commands):  # a word that is no command is _Commands' call
            super()._check_value(action, value)


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The subcommands; any other word is an unrecognized argument of the run, named with the
    flag before it (``--worker 3``), not an invalid command."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values[0] in self.choices:
            super().__call__(parser, namespace, values, option_string)
            return
        # argparse reports what it finds under this attribute as "unrecognized arguments".
        unrecognized = getattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR, [])
        setattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR, [*unrecognized, *values])


def version() -> str:
    try:
        return importlib.metadata.version("nba-backfill")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed; run `make venv`)"


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


def build_parser(spec: JobSpec) -> argparse.ArgumentParser:
    """The job's parser: the run's flags, and ``status`` and ``validate`` as subcommands."""
    shared = _Parser(add_help=False)
    shared.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    add_warehouse_flags(shared, spec.all_datasets)
    run_flags = _Parser(add_help=False)
    _add_run_flags(run_flags, spec)
    parser = _Parser(
        prog=shell_line(invocation(spec)),
        description=f"{spec.description}\n\n{SUBCOMMANDS_HELP}",
        epilog=examples(spec),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[run_flags, shared],
    )
    parser.add_argument("--version", action="version", version=f"{spec.name} backfill {version()}")
    commands = parser.add_subparsers(
        dest="command", metavar="[status|validate]", action=_Commands, help=argparse.SUPPRESS
    )
    status = commands.add_parser(
        "status",
        parents=[shared],
        description="Show a range's days from every checkpoint of the job (the latest outcome "
        "per day wins); --verify also reads the warehouse to find stale and missing days.",
    )
    status.add_argument("--start-date", type=nonempty("--start-date"))
    status.add_argument("--end-date", type=nonempty("--end-date"))
    status.add_argument(
        "--checkpoint", type=path_flag("--checkpoint"), help="read only this checkpoint file"
    )
    _add_checkpoint_dir(status)
    status.add_argument(
        "--verify",
        action="store_true",
        help="also read the warehouse (read-only): stale days with reasons, rows gone missing",
    )
    status.add_argument("--json", action="store_true", help="print JSON instead of the calendar")
    validate = commands.add_parser(
        "validate", parents=[shared], description="Validate the job's table."
    )
    validate.add_argument("--start-date", required=True)
    validate.add_argument("--end-date", required=True)
    return parser


def parse(spec: JobSpec, argv: Sequence[str], today: date) -> Command:
    """The command ``argv`` asks for, as the typed value its command module runs with."""
    options = build_parser(spec).parse_args(argv)
    config = _config(options, spec)
    if options.command == "status":
        return StatusQuery(
            start=parse_day(options.start_date, "--start-date") if options.start_date else None,
            end=parse_day(options.end_date, "--end-date") if options.end_date else None,
            checkpoint=options.checkpoint,
            checkpoint_dir=options.checkpoint_dir,
            verify=options.verify,
            json=options.json,
            warehouse=config,
            warehouse_given=any(arg.split("=", 1)[0] in _target_flags(spec) for arg in argv),
        )
    if options.command == "validate":
        start = parse_day(options.start_date, "--start-date")
        end = parse_day(options.end_date, "--end-date")
        check_range(start, end, today)
        return ValidateQuery(start, end, config)
    return _run_context(options, spec, config, today)


def warehouse_of(spec: JobSpec, flags: Sequence[str]) -> WarehouseConfig:
    """The warehouse that recorded flags (a run's ``warehouse_flags``) point at."""
    parser = _Parser(add_help=False)
    add_warehouse_flags(parser, spec.all_datasets)
    return _config(parser.parse_args(flags), spec)


def examples(spec: JobSpec) -> str:
    """The ``--help`` examples every job has, over the job's own example days, then the job's
    own, with the command as this process was started."""
    full = f"--start-date {spec.history[0]} --end-date {spec.history[1]}"
    week = f"--start-date {spec.week[0]} --end-date {spec.week[1]}"
    common = (
        ("a one-week test, 3 workers", f"{week} --parallel --workers 3"),
        ("the full history, 15 workers (resumes where a stopped run left off)",
         f"{full} --parallel --workers 15"),
        ("what would run, and the data each day has (writes nothing)", f"{full} --dry-run"),
        ("rerun the failed days", f"{full} --retry-failed"),
        ("rerun listed days", f"--dates {spec.week[0]},{spec.week[1]}"),
        ("check the result", f"validate {full}"),
        ("every day's state, and the commands to go on", f"status {full}"),
    )  # fmt: skip
    lines = ["examples:"]
    for comment, flags in (*common, *spec.examples):
        lines += [f"  # {comment}", f"  {shell_line(invocation(spec))} {flags}", ""]
    lines.append(
        "exit codes: 0 all done, 1 some days failed, 2 usage/config error, 130 interrupted"
    )
    return "\n".join(lines) + "\n"


def _config(options: argparse.Namespace, spec: JobSpec) -> WarehouseConfig:
    config = warehouse_config(options, spec.name, spec.all_datasets)
    if spec.raw_data_hint is None:
        return config
    return replace(config, missing_hint=spec.raw_data_hint(config.target))


def _target_flags(spec: JobSpec) -> set[str]:
    return {*TARGET_FLAGS, *(dataset.flag for dataset in spec.all_datasets)}


def _run_context(
    options: argparse.Namespace, spec: JobSpec, config: WarehouseConfig, today: date
) -> RunContext:
    _check_counts(options)
    selection = Selection(
        start=parse_day(options.start_date, "--start-date") if options.start_date else None,
        end=parse_day(options.end_date, "--end-date") if options.end_date else None,
        dates=tuple(parse_day_list(options.dates)) if options.dates is not None else None,
        retry_failed=options.retry_failed,
        stale=options.stale,
        no_resume=options.no_resume,
    )
    paths = Paths(options.checkpoint_dir, options.log_dir)
    settings = RunSettings(
        parallel=options.parallel,
        workers=options.workers,
        batch_days=options.batch_days or default_batch_days(config),
        write_mode=options.write_mode,
        max_retries=options.max_retries,
        max_failures=options.max_failures,
        fail_fast=options.fail_fast,
        allow_shrink=options.allow_shrink,
        allow_incomplete=options.allow_incomplete,
        with_upstream=options.with_upstream,
        dry_run=options.dry_run,
        debug=options.debug,
        log_format=options.log_format,
    )
    request = build_request(selection, spec, config, paths.checkpoint_dir, today)
    return RunContext(spec, selection, request, config, paths, settings)


def _check_counts(options: argparse.Namespace) -> None:
    if not 1 <= options.workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be 1..{MAX_WORKERS} (got {options.workers})")
    if options.batch_days is not None and options.batch_days < 1:
        raise ConfigError(f"--batch-days must be at least 1 (got {options.batch_days})")
    if options.max_retries < 0:
        raise ConfigError(f"--max-retries must be 0 or more (got {options.max_retries})")
    if options.max_failures is not None and options.max_failures < 1:
        raise ConfigError(f"--max-failures must be at least 1 (got {options.max_failures})")
    if options.dates is not None and options.retry_failed:
        raise ConfigError("--dates and --retry-failed exclude each other; pick one")
    if options.stale and (options.dates is not None or options.retry_failed or options.no_resume):
        raise ConfigError(
            "--stale picks the range's stale days; drop --dates/--retry-failed/--no-resume"
        )


def _add_checkpoint_dir(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--checkpoint-dir",
        type=path_flag("--checkpoint-dir"),
        default=DEFAULT_CHECKPOINT_DIR,
        help="default: checkpoints/",
    )


def _add_run_flags(parser: argparse.ArgumentParser, spec: JobSpec) -> None:
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
        help=f"game days computed per statement (default {batch_days_help()})",
    )
    how.add_argument(
        "--write-mode",
        type=WriteMode,
        choices=list(WriteMode),
        default=WriteMode.AUTO,
        metavar="{" + ",".join(m.value for m in WriteMode) + "}",
        help="bulk: each range of up to the warehouse's limit in one atomic write (fewer "
        "jobs where a day costs one); per-day: batches of --batch-days; auto (default): "
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
    _add_checkpoint_dir(where)
    where.add_argument(
        "--log-dir", type=path_flag("--log-dir"), default=DEFAULT_LOG_DIR, help="default: logs/"
    )
    where.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=default_log_format(),
        help="stderr's diagnostics as text, or as one JSON object per line for Cloud Logging "
        "(no progress bar) (default: json when $CLOUD_RUN_JOB is set, else text)",
    )
