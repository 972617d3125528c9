"""Builds the warehouse a command asked for, in one place.

``--warehouse bigquery`` selects BigQuery (imported only then); anything else is
the path of an embedded DuckDB file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError
from shared.paths import DEFAULT_WAREHOUSE
from shared.warehouse.base import Warehouse
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S

BIGQUERY = "bigquery"
WAREHOUSE_ENV = "BACKFILL_WAREHOUSE"


@dataclass(frozen=True)
class WarehouseConfig:
    target: str
    job_name: str
    project: str | None = None
    location: str | None = None
    raw_dataset: str = "nba_raw"
    analytics_dataset: str = "nba_analytics"
    max_bytes_billed: int | None = None
    simulated_latency_s: float = 0.0
    # BigQuery: table updates per 10 s per table the adapter allows itself (None: no pacing).
    table_updates_per_10s: float | None = DEFAULT_TABLE_UPDATES_PER_10S

    @property
    def is_bigquery(self) -> bool:
        return self.target == BIGQUERY

    @property
    def resolved_project(self) -> str | None:
        return self.project or os.environ.get("GOOGLE_CLOUD_PROJECT")

    @property
    def identity(self) -> str:
        """Names the warehouse in checkpoints, so a checkpoint is never reused for another."""
        if self.is_bigquery:
            return f"bigquery:{self.resolved_project}:{self.raw_dataset}:{self.analytics_dataset}"
        return f"duckdb:{Path(self.target).resolve()}"


def default_target() -> str:
    return os.environ.get(WAREHOUSE_ENV) or str(DEFAULT_WAREHOUSE)


def open_warehouse(config: WarehouseConfig, *, read_only: bool = False) -> Warehouse:
    warehouse = _open(config, read_only=read_only)
    if config.simulated_latency_s > 0:
        from shared.warehouse.latency import LatencyWarehouse

        return LatencyWarehouse(warehouse, config.simulated_latency_s)
    return warehouse


def _open(config: WarehouseConfig, *, read_only: bool) -> Warehouse:
    if config.is_bigquery:
        from shared.warehouse.bigquery_warehouse import BigQueryWarehouse

        project = config.resolved_project
        if not project:
            raise ConfigError(
                "--warehouse bigquery needs a project: pass --project or set GOOGLE_CLOUD_PROJECT"
            )
        warehouse = BigQueryWarehouse(
            project=project,
            location=config.location,
            datasets={"nba_raw": config.raw_dataset, "nba_analytics": config.analytics_dataset},
            job_name=config.job_name,
            maximum_bytes_billed=config.max_bytes_billed,
            table_updates_per_10s=config.table_updates_per_10s,
        )
        warehouse.preflight()
        return warehouse
    from shared.warehouse.duckdb_warehouse import DuckDBWarehouse

    path = Path(config.target)
    if not path.exists():
        raise ConfigError(
            f"warehouse {path} does not exist; create it with "
            f"`python -m shared.sample_data --warehouse {path}` or ingest real files "
            f"with `python -m shared.ingest`"
        )
    return DuckDBWarehouse(path, read_only=read_only)
