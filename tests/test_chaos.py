"""The quick part of ``make chaos``: a few kill -9 and signal rounds and every fault case,
run as processes against the session's generated warehouse.

One campaign runs for the module (rounds and cases a few at a time, as the full one does);
each fault case is then its own test, failing with what the case saw.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from bench.chaos import disks
from bench.chaos.campaign import (
    QUICK_KILL_ROUNDS,
    QUICK_MAX_KILLS,
    QUICK_PLANNING_ROUNDS,
    QUICK_SIGNAL_ROUNDS,
    Campaign,
    run_campaign,
)
from bench.chaos.faults import CASES
from bench.chaos.process import Observed
from bench.chaos.workspace import Span, Workspace
from tests.cli_helpers import day
from tests.conftest import END, START


@pytest.fixture(scope="module")
def workspace(seeded, tmp_path_factory) -> Workspace:
    return Workspace.prepare(tmp_path_factory.mktemp("chaos"), Span(day(START), day(END)), seeded)


@pytest.fixture(scope="module")
def campaign(workspace) -> Campaign:
    return run_campaign(
        workspace,
        kill_rounds=QUICK_KILL_ROUNDS,
        signal_rounds=QUICK_SIGNAL_ROUNDS,
        planning_rounds=QUICK_PLANNING_ROUNDS,
        seed=20261130,
        jobs=5,
        max_kills=QUICK_MAX_KILLS,
        progress=lambda line: None,
    )


def test_kill_signal_and_planning_rounds_lose_duplicate_and_trace_nothing(campaign):
    rounds = [r for r in campaign.rounds if not r.name.startswith("clean")]
    assert len(rounds) == QUICK_KILL_ROUNDS + QUICK_SIGNAL_ROUNDS + QUICK_PLANNING_ROUNDS
    assert sum(r.kills for r in rounds) >= QUICK_KILL_ROUNDS - 1
    problems = [f"{r.name}: {p}" for r in campaign.rounds for p in r.problems()]
    assert not problems, "\n".join(problems)
    assert (campaign.rows_lost, campaign.duplicates, campaign.tables_unequal) == (0, 0, 0)


@pytest.mark.parametrize("slug", [c.slug for c in CASES])
def test_fault_case(campaign, slug):
    result = campaign.case(slug)
    if result.status == "SKIP":
        pytest.skip(result.skipped)
    assert result.status == "PASS", "\n".join(result.report())


def test_the_comparison_counts_lost_duplicate_and_extra_rows(workspace, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(workspace.complete, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        table = "nba_analytics.player_game_summary"
        (game,) = connection.execute(f"SELECT MIN(game_id) FROM {table}").fetchone()
        (lost,) = connection.execute(
            f"SELECT COUNT(*) FROM {table} WHERE game_id = ?", [game]
        ).fetchone()
        connection.execute(f"DELETE FROM {table} WHERE game_id = ?", [game])
        connection.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 3")
        connection.execute(
            f"INSERT INTO {table} SELECT * REPLACE ('nobody' AS player_lookup) FROM {table} LIMIT 1"
        )
    compared = workspace.reference.compare(warehouse)
    assert (compared.rows_lost, compared.duplicates, compared.extra) == (lost, 3, 1)
    assert not compared.equal


def test_a_traceback_is_seen_in_any_of_its_forms():
    def seen(stderr: str) -> Observed:
        return Observed(1, "", stderr, 0.0)

    thread = "Exception in thread backfill_0:\nTraceback (most recent call last):\n  File x\nOSError: full\n"
    assert seen(thread).traceback and seen(thread).headline == "OSError: full"
    assert seen("--- Logging error ---\nOSError: x\nCall stack:\n").traceback
    assert not seen("error: checkpoint x is corrupt (Traceback of nothing)\n").traceback


def test_without_root_a_full_disk_is_skipped_with_a_note(monkeypatch, tmp_path):
    monkeypatch.setattr(disks.os, "geteuid", lambda: 1000)
    disks.mount_problem.cache_clear()
    try:
        with pytest.raises(disks.Skip, match="needs root"), disks.full(tmp_path / "full", {}):
            pass
    finally:
        disks.mount_problem.cache_clear()
