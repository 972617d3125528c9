"""A rerun never writes less than the table holds: the shrink guard, through the CLI, on a
generated four-week warehouse whose raw gamebook loses one game of a day and all of another."""

from __future__ import annotations

import json

import duckdb
import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from tests.cli_helpers import checkpoint_days, table_rows
from tests.conftest import RANGE

SUMMARY = "nba_analytics.player_game_summary"
GAMEBOOK = "nba_raw.nbac_gamebook_player_stats"
CUT, EMPTIED = "2022-01-12", "2022-01-13"


def day_rows(warehouse, day: str) -> list[tuple]:
    return [row for row in table_rows(warehouse) if str(row[3]) == day]


@pytest.fixture
def lost(env, capsys):
    """The four weeks backfilled; then the gamebook loses one game of CUT and all of EMPTIED."""
    warehouse, checkpoints, flags = env
    assert main([*RANGE, *flags]) == 0
    with duckdb.connect(str(warehouse)) as connection:
        (game,) = connection.execute(
            f"SELECT MIN(game_id) FROM {SUMMARY} WHERE game_date = '{CUT}'"
        ).fetchone()
        connection.execute(f"DELETE FROM {GAMEBOOK} WHERE game_id = $game", {"game": game})
        connection.execute(f"DELETE FROM {GAMEBOOK} WHERE game_date = '{EMPTIED}'")
    capsys.readouterr()
    before = {day: day_rows(warehouse, day) for day in (CUT, EMPTIED)}
    return warehouse, checkpoints, flags, game, before


def test_listed_days_that_would_shrink_are_held_and_keep_their_rows(lost, capsys):
    warehouse, checkpoints, flags, game, before = lost
    assert main(["--dates", f"{CUT},{EMPTIED}", *flags]) == 1
    out = capsys.readouterr().out
    assert f"{CUT}: would drop game {game} (" in out
    assert f"rows): {GAMEBOOK} has no rows for it" in out
    assert f"{EMPTIED}: would drop every game of the day" in out
    assert f"--dates {CUT},{EMPTIED} --allow-shrink" in out
    assert {day: day_rows(warehouse, day) for day in (CUT, EMPTIED)} == before
    days = checkpoint_days(checkpoints)
    assert days[CUT]["status"] == days[EMPTIED]["status"] == "held"


@pytest.mark.parametrize(
    "how", [["--stale"], ["--no-resume"], ["--no-resume", "--batch-days", "60"]]
)
def test_a_stale_or_whole_range_run_holds_only_the_shrinking_days(lost, capsys, how):
    warehouse, checkpoints, flags, _, before = lost
    assert main([*RANGE, *flags, *how, "--parallel", "--workers", "3"]) == 1
    assert {day: day_rows(warehouse, day) for day in (CUT, EMPTIED)} == before
    days = checkpoint_days(checkpoints)
    held = sorted(day for day, record in days.items() if record["status"] == "held")
    assert held == [CUT, EMPTIED]
    assert "Held dates (2), their rows kept as they were:" in capsys.readouterr().out


def test_allow_shrink_writes_the_listed_day_and_records_it(lost, capsys):
    warehouse, checkpoints, flags, game, before = lost
    assert main(["--dates", f"{CUT},{EMPTIED}", *flags]) == 1
    capsys.readouterr()
    main(["--dates", CUT, *flags, "--allow-shrink"])
    out = capsys.readouterr().out
    assert f"{CUT}: {game} " in out and " -> 0 rows" in out
    after = day_rows(warehouse, CUT)
    assert len(after) < len(before[CUT]) and {row[2] for row in after} == {
        row[2] for row in before[CUT]
    } - {game}
    assert day_rows(warehouse, EMPTIED) == before[EMPTIED]
    [path] = checkpoints.glob("*.json")
    [accepted] = [run for run in json.loads(path.read_text())["runs"] if run["accepted_shrinks"]]
    assert accepted["accepted_shrinks"] == [
        {
            "day": CUT,
            "units": [game],
            "rows_before": len(before[CUT]) - len(after),
            "rows_after": 0,
        }
    ]


def test_growth_and_equal_counts_pass(env, capsys):
    warehouse, _, flags = env
    assert main([*RANGE, *flags]) == 0
    assert main([*RANGE, *flags, "--no-resume"]) == 0
    assert "Held" not in capsys.readouterr().out
