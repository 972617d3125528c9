"""Causes shown: a bug's type, message and place in the summary and the checkpoint without
--debug (its traceback in the log file), and a SQL bug failing every day is not bisected."""

from __future__ import annotations

from datetime import date

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from shared.backfill.partition_job import PartitionJob
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from shared.warehouse.sql import Sql
from tests.cli_helpers import checkpoint_days
from tests.conftest import RANGE

PROCESSOR = "backfill_jobs/analytics/player_game_summary/processor.py"


def test_a_bug_in_a_job_shows_its_type_message_and_place_without_debug(env, monkeypatch, capsys):
    warehouse, checkpoints, flags = env
    broken = date(2022, 1, 12)
    stats = PartitionJob._stats

    def stats_missing_a_column(self, start, end):
        return [
            {k: v for k, v in row.items() if not (k == "games" and row["day"] == broken)}
            for row in stats(self, start, end)
        ]

    monkeypatch.setattr(PartitionJob, "_stats", stats_missing_a_column)
    assert main([*RANGE, *flags, "--max-retries", "0"]) == 1
    out, err = capsys.readouterr()
    line = next(
        n for n, text in enumerate(open(PROCESSOR, encoding="utf-8"), 1) if 'stats["games"]' in text
    )
    cause = f"KeyError: 'games' (at {PROCESSOR}:{line} in check_day)"
    assert f"    2022-01-12: {cause} (attempts: 1)" in out.splitlines()
    assert f"✗ 2022-01-12: {cause}" in err and "Traceback" not in err + out
    assert checkpoint_days(checkpoints)["2022-01-12"]["error"] == cause
    (log,) = (warehouse.parent / "logs").glob("*.log")
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and 'stats["games"]' in text


def test_a_sql_bug_fails_every_day_in_three_statements_per_batch(env, monkeypatch, capsys):
    _, checkpoints, flags = env
    transform = PlayerGameSummaryJob.transform
    broken = transform.text.replace("FROM summary\n", "FROM summary\nWHERE no_such_column\n")
    monkeypatch.setattr(PlayerGameSummaryJob, "transform", Sql(transform.name, broken))
    writes: list[tuple[date, ...]] = []
    replace = DuckDBWarehouse.replace_partitions

    def counted(self, table, select, params, days, *args, **kwargs):
        writes.append(tuple(days))
        return replace(self, table, select, params, days, *args, **kwargs)

    monkeypatch.setattr(DuckDBWarehouse, "replace_partitions", counted)
    assert main([*RANGE, *flags, "--batch-days", "28", "--max-retries", "0"]) == 1
    out, err = capsys.readouterr()
    # The batch, then its two halves: both fail alike, so no further splits (not 2*28-1).
    assert len(writes) == 3 and writes[0] == tuple(sorted(set(writes[1] + writes[2])))
    assert "failed the same way" in err
    days = checkpoint_days(checkpoints)
    assert {record["status"] for record in days.values()} == {"failed"} and len(days) == 28
    assert len({record["error"] for record in days.values()}) == 1
    assert "no_such_column" in days["2022-01-01"]["error"]
    assert "Failed dates (28):" in out
