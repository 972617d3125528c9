"""``status``: a range's days from every checkpoint of the job, and with ``--verify`` from the
warehouse too; counts, a calendar, failed and stale days, and the commands to go on."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date

from shared.backfill.checkpoint import read_checkpoint
from shared.backfill.cli import (
    EXIT_OK,
    JobSpec,
    _Parser,
    add_warehouse_flags,
    nonempty,
    path_flag,
    upstream_history,
    warehouse_config,
)
from shared.backfill.commands import command_line, recorded_run_flags
from shared.backfill.console import use_colour
from shared.backfill.ledger import Ledger, read_checkpoints
from shared.backfill.planning import parse_day, resolve_range
from shared.backfill.status import RangeStatus
from shared.backfill.survey import Survey, survey
from shared.errors import ConfigError
from shared.paths import DEFAULT_CHECKPOINT_DIR, display_path
from shared.warehouse.factory import open_warehouse


def status_command(spec: JobSpec, argv: Sequence[str]) -> int:
    parser = _Parser(
        prog=f"{spec.script} status",
        description="Show a range's days from every checkpoint of the job (the latest outcome "
        "per day wins); --verify also reads the warehouse to find stale and missing days.",
    )
    parser.add_argument("--start-date", type=nonempty("--start-date"))
    parser.add_argument("--end-date", type=nonempty("--end-date"))
    parser.add_argument(
        "--checkpoint", type=path_flag("--checkpoint"), help="read only this checkpoint file"
    )
    parser.add_argument(
        "--checkpoint-dir",
        type=path_flag("--checkpoint-dir"),
        default=DEFAULT_CHECKPOINT_DIR,
        help="default: checkpoints/",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also read the warehouse (read-only): stale days with reasons, rows gone missing",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the calendar")
    parser.add_argument("--debug", action="store_true")
    add_warehouse_flags(parser, spec.all_datasets)
    args = parser.parse_args(argv)
    if args.checkpoint:
        state = read_checkpoint(args.checkpoint)
        if state is None:
            raise ConfigError(f"--checkpoint {args.checkpoint} does not exist")
        start, end = state.start, state.end
        ledger = everything = Ledger.of([(args.checkpoint, state)])
    else:
        checkpoints = read_checkpoints(args.checkpoint_dir, spec.name)
        everything = checkpoints.ledger()
        # The warehouse a run with the same flags would write; without warehouse flags and
        # with no checkpoint of the default one, the warehouse of the latest run.
        ledger = checkpoints.ledger(warehouse_config(args, spec).identity)
        recorded = _recorded_flags(everything.last_run)
        if not ledger.files and recorded and not _warehouse_given(argv, spec):
            args = parser.parse_args([*recorded, *argv])
            ledger = checkpoints.ledger(warehouse_config(args, spec).identity)
        start, end = _range(args, spec, ledger)
    found, reconcile = _verify(spec, args, ledger, start, end) if args.verify else (None, {})
    status = RangeStatus.from_ledger(
        ledger,
        spec.name,
        start,
        end,
        _commands(spec, args, ledger, start, end),
        survey=found,
        reconcile=reconcile,
        other_warehouses=len(everything.files) - len(ledger.files),
    )
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        print(status.render(colour=use_colour(sys.stdout)), end="")
    return EXIT_OK


def _range(args: argparse.Namespace, spec: JobSpec, ledger: Ledger) -> tuple[date, date]:
    """The dates asked for; without any, the range of the latest run (never a default week
    nothing was run for)."""
    if args.start_date is None and args.end_date is None:
        if ledger.last_range is not None:
            return ledger.last_range
        raise ConfigError(
            f"no checkpoint of {spec.name} in {display_path(args.checkpoint_dir)} yet, so no "
            "latest run to show; pass --start-date and --end-date (or --checkpoint-dir)"
        )
    today = date.today()  # noqa: DTZ011 - same calendar as the run's default range
    return resolve_range(
        parse_day(args.start_date, "--start-date") if args.start_date is not None else None,
        parse_day(args.end_date, "--end-date") if args.end_date is not None else None,
        today,
    )


def _verify(
    spec: JobSpec, args: argparse.Namespace, ledger: Ledger, start: date, end: date
) -> tuple[Survey, Mapping[date, Sequence[str]]]:
    config = warehouse_config(args, spec)
    upstream = upstream_history(spec, config, args.checkpoint_dir)
    warehouse = open_warehouse(config, read_only=True)
    try:
        job = spec.make_job(warehouse)
        job.check_sources()
        found = survey(
            job,
            warehouse,
            ledger.history,
            start,
            end,
            upstream=spec.upstream,
            upstream_history=upstream,
        )
        return found, job.reconcile(start, end)
    finally:
        warehouse.close()


def _commands(
    spec: JobSpec, args: argparse.Namespace, ledger: Ledger, start: date, end: date
) -> dict[str, str]:
    flags = recorded_run_flags(ledger.last_run)
    days = ("--start-date", start.isoformat(), "--end-date", end.isoformat())
    where = (spec, warehouse_config(args, spec).flags(), args.checkpoint_dir, flags)
    return {
        "resume": command_line(*where, *days),
        "retry_failed": command_line(*where, *days, "--retry-failed"),
        "stale": command_line(*where, *days, "--stale"),
    }


def _recorded_flags(run: Mapping[str, object] | None) -> list[str]:
    """The flags that point a command at the warehouse a recorded run used."""
    flags = (run or {}).get("warehouse_flags")
    if isinstance(flags, list) and all(isinstance(flag, str) for flag in flags):
        return list(flags)
    return []


def _warehouse_given(argv: Sequence[str], spec: JobSpec) -> bool:
    named = {"--warehouse", "--project", *(dataset.flag for dataset in spec.all_datasets)}
    return any(arg.split("=", 1)[0] in named for arg in argv)
