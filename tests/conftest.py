# ruff: noqa: E402 - the environment is set before the imports that read it
import os

# google-auth must never probe the metadata server from a test (set before any import of it).
os.environ.setdefault("NO_GCE_CHECK", "True")

import shutil
from datetime import date
from pathlib import Path

import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from shared.nba.sample_data import seed_warehouse
from tests.cli_helpers import table_rows

# A four-week generated warehouse shared by the CLI tests (seeded once per session).
START, END = "2022-01-01", "2022-01-28"
RANGE = ["--start-date", START, "--end-date", END]


@pytest.fixture(scope="session")
def seeded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "warehouse.duckdb"
    seed_warehouse(path, date.fromisoformat(START), date.fromisoformat(END), seed=7)
    return path


@pytest.fixture(scope="session")
def reference_rows(seeded, tmp_path_factory) -> list[tuple]:
    """The table an uninterrupted sequential run produces: the oracle for every other mode."""
    work = tmp_path_factory.mktemp("reference")
    warehouse = work / "w.duckdb"
    shutil.copy(seeded, warehouse)
    code = main(
        [
            *RANGE,
            "--warehouse",
            str(warehouse),
            "--checkpoint-dir",
            str(work / "cp"),
            "--log-dir",
            str(work / "logs"),
        ]
    )
    assert code == 0
    return table_rows(warehouse)


@pytest.fixture
def env(seeded, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(seeded, warehouse)
    checkpoints = tmp_path / "cp"
    flags = [
        "--warehouse",
        str(warehouse),
        "--checkpoint-dir",
        str(checkpoints),
        "--log-dir",
        str(tmp_path / "logs"),
        "--batch-days",
        "1",
    ]
    return warehouse, checkpoints, flags
