"""What a job plugs into the shared command line: the ``JobSpec``. The engine knows nothing
else of what the job computes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from shared.backfill.job import Job
from shared.backfill.planning import DayPlan
from shared.backfill.survey import Upstream
from shared.warehouse.base import Dataset, Warehouse


@dataclass(frozen=True)
class PlannedDays:
    """What a dry run shows the job, for its own columns: the plan and each day's (action,
    reason), at least one day."""

    job: Job
    warehouse: Warehouse
    plan: DayPlan
    reasons: Mapping[date, tuple[str, str]]


@dataclass(frozen=True)
class JobSpec:
    """A job's name, script, datasets and hooks. ``examples``: the job's own ``--help``
    examples beyond the ones every job has, as (comment, flags) pairs."""

    name: str
    script: str
    description: str
    # The installed console script (pyproject.toml) that runs this job, if any.
    console_script: str | None
    unit_name: str
    datasets: tuple[Dataset, ...]
    make_job: Callable[[Warehouse], Job]
    validate: Callable[[Warehouse, date, date], tuple[str, bool]]
    # The dry run's table: the job adds its own columns to each day's (action, reason).
    dry_run_lines: Callable[[PlannedDays], list[str]]
    # The days the --help examples name: the whole history, and a week of it.
    history: tuple[date, date]
    week: tuple[date, date]
    upstream: Upstream | None = None
    examples: tuple[tuple[str, str], ...] = ()
    # How to create the raw data of a warehouse (its target) that is not there yet.
    raw_data_hint: Callable[[str], str] | None = None

    @property
    def all_datasets(self) -> tuple[Dataset, ...]:
        """The job's datasets and its upstream's (whose SQL it may run to check upstream days)."""
        upstream = self.upstream.datasets if self.upstream else ()
        return tuple({d.name: d for d in (*upstream, *self.datasets)}.values())
