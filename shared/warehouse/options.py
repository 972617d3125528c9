"""Each warehouse's own command-line flags, defaults and config, as SQLMesh's connection configs
own theirs: the engine adds ``add_warehouse_flags`` to its parsers and gets a
``WarehouseConfig`` back from ``warehouse_config``; it never names a flag of one warehouse.

``--warehouse`` picks the adapter (``bigquery``, or the path of a DuckDB file); the dataset
flags are the job's and serve both.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, ClassVar

from shared.warehouse.base import Dataset
from shared.warehouse.factory import BIGQUERY, WarehouseConfig, default_target
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S


class DuckDBOptions:
    """An embedded DuckDB file: its path is ``--warehouse``; nothing else to set."""

    # Game days per statement when --batch-days is not given. Measured with `make bench` on
    # the default range, 15 workers: engine time 10.2 s at K=1, 1.65 s at K=30, 1.44 s at
    # K=60, 1.45 s at K=120 (the one-statement floor: 0.8 s). Per-statement overhead dominates
    # a day's work, and K=60 keeps a failing batch to six bisection rounds.
    batch_days: ClassVar[int] = 60
    label: ClassVar[str] = "a DuckDB file"

    @staticmethod
    def add_flags(group: argparse._ArgumentGroup) -> None:
        """None beyond ``--warehouse PATH``."""

    @staticmethod
    def settings(options: argparse.Namespace) -> dict[str, Any]:
        return {}

    @staticmethod
    def run_flags(config: WarehouseConfig) -> list[str]:
        return []


class BigQueryOptions:
    """BigQuery: the project and location, the bytes a job may bill, the pace of updates."""

    # One day per statement: a day is then one partition-truncating query job, the cheapest
    # atomic write there; a batch costs a staging table and one copy job per day.
    batch_days: ClassVar[int] = 1
    label: ClassVar[str] = "BigQuery"

    @staticmethod
    def add_flags(group: argparse._ArgumentGroup) -> None:
        group.add_argument("--project", help="BigQuery project (default: $GOOGLE_CLOUD_PROJECT)")
        group.add_argument("--location", help="BigQuery location, e.g. US")
        group.add_argument(
            "--max-bytes-billed",
            type=_positive_bytes,
            help="BigQuery: fail (without charge) any job that would bill more bytes than this",
        )
        group.add_argument(
            "--pace-table-updates",
            type=_pace,
            default=DEFAULT_TABLE_UPDATES_PER_10S,
            metavar="N|off",
            help="BigQuery: start at most N update operations (partition writes, copies, "
            "deletes, DML) per 10 s per table; BigQuery allows 50 (default %(default)g; 0 or "
            "'off' disables)",
        )

    @staticmethod
    def settings(options: argparse.Namespace) -> dict[str, Any]:
        return {
            "project": options.project,
            "location": options.location,
            "max_bytes_billed": options.max_bytes_billed,
            "table_updates_per_10s": options.pace_table_updates,
        }

    @staticmethod
    def run_flags(config: WarehouseConfig) -> list[str]:
        flags: list[str] = []
        if config.max_bytes_billed is not None:
            flags += ["--max-bytes-billed", str(config.max_bytes_billed)]
        if config.table_updates_per_10s != DEFAULT_TABLE_UPDATES_PER_10S:
            pace = config.table_updates_per_10s
            flags += ["--pace-table-updates", "off" if pace is None else f"{pace:g}"]
        return flags


ADAPTERS = (DuckDBOptions, BigQueryOptions)
# The flags that say which warehouse a command points at (``status`` without them follows the
# warehouse of the latest run).
TARGET_FLAGS = ("--warehouse", "--project")


def _adapter(config: WarehouseConfig) -> type[DuckDBOptions] | type[BigQueryOptions]:
    return BigQueryOptions if config.is_bigquery else DuckDBOptions


def add_warehouse_flags(parser: argparse.ArgumentParser, datasets: Sequence[Dataset]) -> None:
    """``--warehouse``, the job's dataset flags, and every adapter's own flags."""
    group = parser.add_argument_group("warehouse")
    group.add_argument(
        "--warehouse",
        type=_nonempty,
        default=default_target(),
        help="DuckDB file, or 'bigquery' (default: $BACKFILL_WAREHOUSE or data/warehouse.duckdb)",
    )
    for dataset in datasets:
        group.add_argument(
            dataset.flag,
            default=dataset.name,
            dest=_dataset_dest(dataset),
            metavar="NAME",
            help=f"{dataset.role} dataset (BigQuery) or schema (DuckDB) (default: {dataset.name})",
        )
    for adapter in ADAPTERS:
        adapter.add_flags(group)


def warehouse_config(
    options: argparse.Namespace, job_name: str, datasets: Sequence[Dataset]
) -> WarehouseConfig:
    """The config the parsed flags describe; each adapter checks its own."""
    adapter = BigQueryOptions if options.warehouse == BIGQUERY else DuckDBOptions
    return WarehouseConfig(
        target=options.warehouse,
        job_name=job_name,
        datasets=tuple((d, getattr(options, _dataset_dest(d))) for d in datasets),
        **adapter.settings(options),
    )


def default_batch_days(config: WarehouseConfig) -> int:
    return _adapter(config).batch_days


def batch_days_help() -> str:
    return ", ".join(f"{adapter.batch_days} on {adapter.label}" for adapter in ADAPTERS)


def warehouse_run_flags(config: WarehouseConfig) -> list[str]:
    """The warehouse's flags that shape a run (not where it points), where not the defaults."""
    return _adapter(config).run_flags(config)


def _dataset_dest(dataset: Dataset) -> str:
    return "dataset_" + dataset.flag.lstrip("-").replace("-", "_")


def _nonempty(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("--warehouse is empty; give a value or leave it out")
    return value


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


def _positive_bytes(value: str) -> int:
    """``--max-bytes-billed``: refused wherever given, so a typo never waits for BigQuery."""
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {value!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"--max-bytes-billed must be positive (got {count})")
    return count
