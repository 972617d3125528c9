"""``status``: a range's days from every checkpoint of the job, and with ``--verify`` from the
warehouse too; counts, a calendar, failed and stale days, and the commands to go on."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from shared.backfill.checkpoint import read_checkpoint
from shared.backfill.commands import command_line, recorded_run_flags
from shared.backfill.console import use_colour
from shared.backfill.context import EXIT_OK, StatusQuery
from shared.backfill.ledger import Ledger, read_checkpoints
from shared.backfill.options import warehouse_of
from shared.backfill.planning import resolve_range
from shared.backfill.request import upstream_history
from shared.backfill.spec import JobSpec
from shared.backfill.status import RangeStatus
from shared.backfill.survey import Survey, survey
from shared.errors import ConfigError
from shared.paths import display_path
from shared.warehouse.factory import WarehouseConfig, open_warehouse


def status_command(spec: JobSpec, query: StatusQuery) -> int:
    config = query.warehouse
    if query.checkpoint:
        state = read_checkpoint(query.checkpoint)
        if state is None:
            raise ConfigError(f"--checkpoint {query.checkpoint} does not exist")
        start, end = state.start, state.end
        ledger = everything = Ledger.of([(query.checkpoint, state)])
    else:
        checkpoints = read_checkpoints(query.checkpoint_dir, spec.name)
        everything = checkpoints.ledger()
        # The warehouse a run with the same flags would write; without warehouse flags and
        # with no checkpoint of the default one, the warehouse of the latest run.
        ledger = checkpoints.ledger(config.identity)
        recorded = _recorded_flags(everything.last_run)
        if not ledger.files and recorded and not query.warehouse_given:
            config = replace(warehouse_of(spec, recorded), missing_hint=config.missing_hint)
            ledger = checkpoints.ledger(config.identity)
        start, end = _range(query, spec, ledger)
    found, reconcile = (
        _verify(spec, query, config, ledger, start, end) if query.verify else (None, {})
    )
    status = RangeStatus.from_ledger(
        ledger,
        spec.name,
        start,
        end,
        _commands(spec, query, config, ledger, start, end),
        survey=found,
        reconcile=reconcile,
        other_warehouses=len(everything.files) - len(ledger.files),
    )
    if query.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        print(status.render(colour=use_colour(sys.stdout)), end="")
    return EXIT_OK


def _range(query: StatusQuery, spec: JobSpec, ledger: Ledger) -> tuple[date, date]:
    """The dates asked for; without any, the range of the latest run (never a default week
    nothing was run for)."""
    if query.start is None and query.end is None:
        if ledger.last_range is not None:
            return ledger.last_range
        raise ConfigError(
            f"no checkpoint of {spec.name} in {display_path(query.checkpoint_dir)} yet, so no "
            "latest run to show; pass --start-date and --end-date (or --checkpoint-dir)"
        )
    today = date.today()  # noqa: DTZ011 - same calendar as the run's default range
    return resolve_range(query.start, query.end, today)


def _verify(
    spec: JobSpec,
    query: StatusQuery,
    config: WarehouseConfig,
    ledger: Ledger,
    start: date,
    end: date,
) -> tuple[Survey, Mapping[date, Sequence[str]]]:
    upstream = upstream_history(spec, config, query.checkpoint_dir)
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
    spec: JobSpec,
    query: StatusQuery,
    config: WarehouseConfig,
    ledger: Ledger,
    start: date,
    end: date,
) -> dict[str, str]:
    flags = recorded_run_flags(ledger.last_run)
    days = ("--start-date", start.isoformat(), "--end-date", end.isoformat())
    where = (spec, config.flags(), query.checkpoint_dir, flags)
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
