"""A run's plan: which days to run and why, from one survey of the warehouse and the
journals, and what waits on an upstream job that is not current."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from shared.backfill.checkpoint import DayRecord
from shared.backfill.context import Request
from shared.backfill.job import Job
from shared.backfill.ledger import Ledger, read_ledger
from shared.backfill.planning import DayPlan, calendar_days, plan_days
from shared.backfill.request import upstream_history
from shared.backfill.results import DayStatus
from shared.backfill.spec import JobSpec
from shared.backfill.staleness import Stale
from shared.backfill.survey import History, Survey, merged_gaps, survey
from shared.errors import ConfigError
from shared.warehouse.base import Warehouse
from shared.warehouse.factory import WarehouseConfig

logger = logging.getLogger("backfill")


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
    request: Request,
    job: Job,
    warehouse: Warehouse,
    journals: Journals,
    *,
    stale_only: bool = False,
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
    requested = [day for day in request.days if day in found.stale] if stale_only else request.days
    # Days without work need nothing; the journal only spares recording them again.
    journaled = {day for day, record in ledger.days.items() if record.done}
    idle = journaled - set(found.work_units)
    done = found.done | idle if request.resume else frozenset()
    range_done = sum(day in done for day in calendar_days(request.start, request.end))
    return Plan(plan_days(requested, done, found.work_units), found, ledger.days, range_done)


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


def hold_blocked(spec: JobSpec, plan: Plan) -> tuple[Plan, int]:
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


def refuse_incomplete_upstream(spec: JobSpec, plan: Plan) -> None:
    blocked = plan.survey.blocked(list(plan.days.to_run))
    if not blocked or spec.upstream is None:
        return
    raise ConfigError(
        f"{len(blocked)} day(s) to run read {spec.upstream.job} days that are "
        f"{merged_gaps(blocked)}; bring {spec.upstream.job} current first (or run with "
        f"--with-upstream), or pass --allow-incomplete"
    )


def warn_incomplete_upstream(spec: JobSpec, plan: Plan) -> None:
    """``--allow-incomplete``: what the days run anyway are missing."""
    blocked = plan.survey.blocked(list(plan.days.to_run))
    if blocked and spec.upstream is not None:
        logger.warning(
            "--allow-incomplete: %d day(s) run although they read %s days that are %s",
            len(blocked),
            spec.upstream.job,
            merged_gaps(blocked),
        )
