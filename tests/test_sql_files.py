"""Every checked-in statement: BigQuery SQL that transpiles, no literal dates, pruned reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from shared.warehouse.sql import to_duckdb

ROOT = Path(__file__).resolve().parents[1]
SQL_FILES = sorted(
    path for folder in ("backfill_jobs", "shared") for path in (ROOT / folder).rglob("*.sql")
)
LITERAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Every table of these datasets is partitioned by this column.
PARTITION_COLUMNS = {
    "nba_raw": "game_date",
    "nba_analytics": "game_date",
    "nba_precompute": "analysis_date",
}
# A read starts at the first day computed, or at the season start a feature day looks back to.
LOW_PARAMETERS = {"start_date", "lookback_start"}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def unpruned_reads(statement: exp.Expression) -> list[str]:
    """Partitioned tables read without `<partition column> BETWEEN @start_date AND @end_date`
    (or `@lookback_start` as the low end) on that table.

    The filter must be a top-level conjunct of the WHERE of the SELECT that reads the table,
    on the table's own column (qualified by its alias, or unqualified when it is the only
    source): a filter arriving through a join, a cast or an OR does not prune partitions.
    """
    problems = []
    for table in statement.find_all(exp.Table):
        if table.db not in PARTITION_COLUMNS:
            continue
        select = table.find_ancestor(exp.Select)
        if select is None:
            if isinstance(statement, exp.Create):
                continue  # the table's own DDL
            problems.append(f"{table.sql('bigquery')} (not read by a SELECT)")
            continue
        if not _has_partition_filter(select, table, PARTITION_COLUMNS[table.db]):
            problems.append(table.sql("bigquery"))
    return problems


def _has_partition_filter(select: exp.Select, table: exp.Table, column: str) -> bool:
    where = select.args.get("where")
    if where is None:
        return False
    qualifiers = {table.alias_or_name}
    if not select.args.get("joins"):
        qualifiers.add("")
    conjuncts = where.this.flatten() if isinstance(where.this, exp.And) else [where.this]
    return any(
        isinstance(c, exp.Between)
        and isinstance(c.this, exp.Column)
        and c.this.name == column
        and c.this.table in qualifiers
        and isinstance(c.args.get("low"), exp.Parameter)
        and c.args["low"].name in LOW_PARAMETERS
        and isinstance(c.args.get("high"), exp.Parameter)
        and c.args["high"].name == "end_date"
        for c in conjuncts
    )


def test_sql_files_are_found() -> None:
    names = {path.name for path in SQL_FILES}
    assert {
        "player_game_summary.sql",
        "nbac_schedule.sql",
        "player_shot_zone_analysis.sql",
    } <= names


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_parses_as_bigquery_and_transpiles_to_duckdb(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert isinstance(sqlglot.parse_one(text, read="bigquery"), exp.Expression)
    assert len(sqlglot.parse(text, read="bigquery")) == 1, "one statement per file"
    assert to_duckdb(text)


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_no_literal_dates(path: Path) -> None:
    assert not LITERAL_DATE.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_partitioned_reads_are_pruned_by_the_date_params(path: Path) -> None:
    statement = sqlglot.parse_one(path.read_text(encoding="utf-8"), read="bigquery")
    assert unpruned_reads(statement) == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM nba_raw.t",
        # The filter arrives through a join: every partition is scanned.
        "SELECT * FROM nba_raw.t AS p JOIN d ON p.game_date = d.game_date "
        "WHERE d.game_date BETWEEN @start_date AND @end_date",
        # A function on the column defeats pruning.
        "SELECT * FROM nba_raw.t WHERE DATE(game_date) BETWEEN @start_date AND @end_date",
        "SELECT * FROM nba_raw.t WHERE game_date BETWEEN @start_date AND @end_date OR x",
        "SELECT * FROM nba_raw.t WHERE game_date BETWEEN '2022-01-01' AND @end_date",
        # Filtered in the outer query only.
        "SELECT * FROM (SELECT * FROM nba_raw.t) WHERE game_date BETWEEN @start_date AND @end_date",
        # A feature day's upstream read must be bounded by parameters at both ends.
        "SELECT * FROM nba_analytics.t WHERE game_date <= @end_date",
        "SELECT * FROM nba_analytics.t WHERE game_date BETWEEN @season AND @end_date",
        # Another dataset, another partition column.
        "SELECT * FROM nba_precompute.t WHERE game_date BETWEEN @start_date AND @end_date",
    ],
)
def test_pruning_check_flags_unpruned_reads(sql: str) -> None:
    assert unpruned_reads(sqlglot.parse_one(sql, read="bigquery"))


def test_pruning_check_accepts_aliased_reads_with_extra_conditions() -> None:
    sql = (
        "SELECT * FROM nba_raw.t AS p JOIN x ON p.a = x.a "
        "WHERE p.game_date BETWEEN @start_date AND @end_date AND p.game_status = 3"
    )
    assert unpruned_reads(sqlglot.parse_one(sql, read="bigquery")) == []
