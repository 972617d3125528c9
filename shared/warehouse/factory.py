"""Builds the warehouse a command asked for, in one place.

``--warehouse bigquery`` selects BigQuery (imported only then); anything else is
the path of an embedded DuckDB file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.entry import signals_deferred
from shared.errors import ConfigError
from shared.paths import DEFAULT_WAREHOUSE
from shared.warehouse.base import Dataset, Warehouse, missing_warehouse
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S
from shared.warehouse.sql import is_identifier

BIGQUERY = "bigquery"
WAREHOUSE_ENV = "BACKFILL_WAREHOUSE"


@dataclass(frozen=True)
class WarehouseConfig:
    """Where a run reads and writes. ``datasets``: each dataset the job's SQL names, with the
    dataset (BigQuery) or schema (DuckDB) it points at for this run."""

    target: str
    job_name: str
    datasets: tuple[tuple[Dataset, str], ...] = ()
    project: str | None = None
    location: str | None = None
    max_bytes_billed: int | None = None
    # How to create the warehouse's raw data, from the job (a missing file names it).
    missing_hint: str = ""
    # BigQuery: table updates per 10 s per table the adapter allows itself (None: no pacing).
    table_updates_per_10s: float | None = DEFAULT_TABLE_UPDATES_PER_10S

    @property
    def is_bigquery(self) -> bool:
        return self.target == BIGQUERY

    @property
    def resolved_project(self) -> str | None:
        return self.project or os.environ.get("GOOGLE_CLOUD_PROJECT")

    @property
    def dataset_names(self) -> dict[str, str]:
        return {dataset.name: actual for dataset, actual in self.datasets}

    @property
    def identity(self) -> str:
        """Names the warehouse in checkpoints, so a checkpoint is never reused for another.

        ``bigquery:PROJECT:RAW:ANALYTICS`` (each dataset in declared order), or
        ``duckdb:/abs/path``, with ``:name=schema`` for each renamed dataset.
        """
        if self.is_bigquery:
            return ":".join(["bigquery", str(self.resolved_project), *self.dataset_names.values()])
        renamed = [
            f"{dataset.name}={actual}"
            for dataset, actual in self.datasets
            if dataset.name != actual
        ]
        return ":".join([f"duckdb:{Path(self.target).resolve()}", *renamed])

    def flags(self) -> list[str]:
        """The flags that point another command at this warehouse (resume, retry lines)."""
        flags: list[str] = []
        if self.is_bigquery:
            flags += ["--warehouse", BIGQUERY, "--project", str(self.resolved_project)]
            if self.location:
                flags += ["--location", self.location]
        elif Path(self.target).resolve() != Path(default_target()).resolve():
            flags += ["--warehouse", self.target]
        for dataset, actual in self.datasets:
            if actual != dataset.name:
                flags += [dataset.flag, actual]
        return flags


def default_target() -> str:
    return os.environ.get(WAREHOUSE_ENV) or str(DEFAULT_WAREHOUSE)


def open_warehouse(config: WarehouseConfig, *, read_only: bool = False) -> Warehouse:
    """The warehouse ``config`` names, open (BigQuery: preflight passed)."""
    return open_adapter(config, read_only=read_only)


def open_adapter(config: WarehouseConfig, *, read_only: bool) -> Warehouse:
    if config.is_bigquery:
        with signals_deferred():
            from shared.warehouse.bigquery_warehouse import BigQueryWarehouse

        project = config.resolved_project
        if not project:
            raise ConfigError(
                "--warehouse bigquery needs a project: pass --project or set GOOGLE_CLOUD_PROJECT"
            )
        warehouse = BigQueryWarehouse(
            project=project,
            location=config.location,
            datasets=config.dataset_names,
            dataset_flags={dataset.name: dataset.flag for dataset, _ in config.datasets},
            job_name=config.job_name,
            maximum_bytes_billed=config.max_bytes_billed,
            table_updates_per_10s=config.table_updates_per_10s,
        )
        warehouse.preflight()
        return warehouse
    with signals_deferred():
        from shared.warehouse.duckdb_warehouse import DuckDBWarehouse

    for dataset, actual in config.datasets:
        if not is_identifier(actual):
            raise ConfigError(
                f"{dataset.flag} {actual!r} is not a schema name for DuckDB: letters, digits "
                "and underscores, not starting with a digit"
            )
    path = Path(config.target)
    if not path.exists():
        raise ConfigError(missing_warehouse(path, config.missing_hint))
    return DuckDBWarehouse(
        path,
        read_only=read_only,
        datasets=config.dataset_names,
        missing_hint=config.missing_hint,
    )
