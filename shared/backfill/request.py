"""Which days a run covers: the selection resolved against the calendar and the checkpoints
(listed days keep the checkpoint that holds them; ``--retry-failed`` reads the failed ones)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from shared.backfill.checkpoint import DayRecord
from shared.backfill.context import Request, Selection
from shared.backfill.ledger import read_checkpoints, read_ledger
from shared.backfill.planning import calendar_days, check_range, resolve_range
from shared.backfill.results import DayStatus
from shared.backfill.spec import JobSpec
from shared.errors import ConfigError
from shared.warehouse.factory import WarehouseConfig


def build_request(
    selection: Selection, spec: JobSpec, config: WarehouseConfig, directory: Path, today: date
) -> Request:
    start, end = selection.start, selection.end
    if selection.dates is not None:
        days = selection.dates
        check_range(days[0], days[-1], today)
        if start or end:
            start, end = resolve_range(start or days[0], end or days[-1], today)
            outside = [d for d in days if not start <= d <= end]
            if outside:
                raise ConfigError(
                    f"--dates {outside[0]} is outside --start-date {start} .. --end-date {end}"
                )
        else:
            start, end = _covering_checkpoint(directory, spec.name, days, config.identity) or (
                days[0],
                days[-1],
            )
        return Request(start, end, days, resume=False, label=f"{len(days)} listed day(s)")
    start, end = resolve_range(start, end, today)
    if selection.retry_failed:
        ledger = read_ledger(directory, spec.name, warehouse=config.identity)
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
        resume=not selection.no_resume,
        label="stale days" if selection.stale else "range",
        whole_range=True,
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
