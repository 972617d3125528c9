"""The bench's own rules: when a measurement is INVALID, how results are worded, and that B9
compares what it means to (the transforms before lineage against today's, same rows)."""

import subprocess
from datetime import date
from pathlib import Path

import pytest

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from bench import b9_lineage, b10_empty_journal, b11_fixed_cost
from bench.__main__ import render, result_word, verdicts
from bench.machine import FOREIGN_CORES_LIMIT, Watch, load_line
from bench.runs import ROOT
from tests.conftest import END, START


def machine(**changes) -> dict:
    watch = Watch(cores=2, load_before=(0.3, 0.5, 0.6), load_after=(1.1, 0.7, 0.6))
    watch.wall_s, watch.foreign_cores = 30.0, 0.1
    for name, value in changes.items():
        setattr(watch, name, value)
    return watch.summary()


def test_a_quiet_machine_is_valid():
    assert machine()["invalid"] is None


def test_a_load_above_the_cores_at_the_start_is_invalid():
    assert "load average 2.50 > 2 cores" in machine(load_before=(2.5, 1.0, 1.0))["invalid"]


def test_others_using_the_cores_meanwhile_is_invalid():
    reason = machine(foreign_cores=FOREIGN_CORES_LIMIT + 0.3)["invalid"]
    assert "other processes used 0.80 cores" in reason


def test_the_watch_measures_a_section():
    with Watch() as watch:
        sum(range(100_000))
    summary = watch.summary()
    assert summary["wall_s"] >= 0 and len(summary["load_after"]) == 3
    assert "machine: " in load_line(summary)


def b11_report(machine_state: dict, ratio: float) -> dict:
    return {
        "range": ["2021-10-01", "2024-05-01"],
        "rounds": 1,
        "variants": {
            "floor (one statement)": {
                "wall_s": 1.0,
                "wall_s_min_max": [1.0, 1.0],
                "inner_s": 0.8,
                "x_floor": 1.0,
            }
        },
        "default_x_floor": ratio,
        "default_x_floor_min_max": [ratio, ratio],
        "machine": machine_state,
    }


def test_an_invalid_section_is_never_pass_nor_fail():
    report = {"B11": b11_report(machine(load_before=(3.0, 2.0, 2.0)), 1.5)}
    [(_, _, _, passed)] = verdicts(report)
    assert passed is None and result_word(passed) == "INVALID"
    text = render(report)
    assert "INVALID" in text and "PASS" not in text and "B11 INVALID: load average 3.00" in text


def test_a_valid_section_is_judged():
    assert b11_fixed_cost.verdicts(b11_report(machine(), 2.4))[0][3] is True
    assert b11_fixed_cost.verdicts(b11_report(machine(), 2.6))[0][3] is False
    assert [result_word(p) for p in (True, False, None)] == ["PASS", "FAIL", "INVALID"]


def test_b10_accepts_only_a_command_that_ran_nothing(tmp_path):
    output = tmp_path / "output.log"
    output.write_text("Days: 0 to run (0 stale), 0 without games, 28 already done\nNothing to do")
    b10_empty_journal._check("summary", "full folder", 0, output)
    with pytest.raises(SystemExit):
        b10_empty_journal._check("summary", "full folder", 2, output)
    output.write_text("Days: 3 to run (0 stale), 0 without games, 25 already done")
    with pytest.raises(SystemExit):
        b10_empty_journal._check("summary", "empty folder", 0, output)
    output.write_text("Days: 0 to run (0 stale), 9 without games, 19 already done")
    b10_empty_journal._check("summary", "empty folder", 0, output)
    with pytest.raises(SystemExit, match="expected exit 0 and none to run"):
        b10_empty_journal._check("summary", "full folder", 0, output)


def _has_commit() -> bool:
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{b9_lineage.BEFORE}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
    )
    return found.returncode == 0


@pytest.mark.skipif(not _has_commit(), reason=f"needs the git history of {b9_lineage.BEFORE}")
def test_b9_writes_the_same_rows_before_and_after_lineage(seeded: Path, tmp_path: Path):
    variants = b9_lineage._variants(
        PlayerGameSummaryJob, "backfill_jobs/analytics/player_game_summary/sql"
    )
    assert "data_hash" not in variants["before"].transform.text
    assert "data_hash" not in variants["before"].table.ddl.text
    full = (date.fromisoformat(START), date.fromisoformat(END))
    contents = {
        name: b9_lineage._write_once(PlayerGameSummaryJob, variant, seeded, tmp_path, full)[1]
        for name, variant in variants.items()
    }
    assert contents["before"] == contents["lineage"]
    assert contents["lineage"][0] > 0
