"""What a command runs with, as frozen values built once from the command line
(``options``): planning, the run, the finish and the printed commands read these, never the
parsed flags. Exit codes live here too, in one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.backfill.planning import WriteMode
from shared.backfill.spec import JobSpec
from shared.warehouse.factory import WarehouseConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_WORKERS = 15
DEFAULT_MAX_RETRIES = 3


@dataclass(frozen=True)
class Selection:
    """Which days the user asked for, parsed and checked: a range (either end may be left to
    its default), listed days, the failed or the stale days, or everything again."""

    start: date | None = None
    end: date | None = None
    dates: tuple[date, ...] | None = None
    retry_failed: bool = False
    stale: bool = False
    no_resume: bool = False

    @property
    def picked(self) -> bool:
        """The days are picked (listed, failed, stale) rather than a whole range."""
        return self.dates is not None or self.stale or self.retry_failed


@dataclass(frozen=True)
class Request:
    """The resolved days: which checkpoint (``start``..``end``), which days, and whether done
    days count."""

    start: date
    end: date
    days: tuple[date, ...]
    resume: bool
    label: str
    whole_range: bool = False


@dataclass(frozen=True)
class Paths:
    checkpoint_dir: Path
    log_dir: Path


@dataclass(frozen=True)
class RunSettings:
    """How a run goes: workers, batches, retries, limits, and what it does with its days."""

    parallel: bool = False
    workers: int = DEFAULT_WORKERS
    batch_days: int = 1
    write_mode: WriteMode = WriteMode.AUTO
    max_retries: int = DEFAULT_MAX_RETRIES
    max_failures: int | None = None
    fail_fast: bool = False
    allow_shrink: bool = False
    allow_incomplete: bool = False
    with_upstream: bool = False
    dry_run: bool = False
    debug: bool = False
    log_format: str = "text"

    @property
    def effective_workers(self) -> int:
        return self.workers if self.parallel else 1


@dataclass(frozen=True)
class RunContext:
    """Everything a run (or a dry run) needs: the job, its days, its warehouse, its files."""

    spec: JobSpec
    selection: Selection
    request: Request
    warehouse: WarehouseConfig
    paths: Paths
    settings: RunSettings


@dataclass(frozen=True)
class StatusQuery:
    """``status``: a range (or the latest run's), from the checkpoints or one file, with the
    warehouse read too under ``verify``. ``warehouse_given``: the command named one (else the
    latest run's is followed)."""

    start: date | None
    end: date | None
    checkpoint: Path | None
    checkpoint_dir: Path
    verify: bool
    json: bool
    warehouse: WarehouseConfig
    warehouse_given: bool


@dataclass(frozen=True)
class ValidateQuery:
    """``validate``: the job's checks over a range of its table."""

    start: date
    end: date
    warehouse: WarehouseConfig
