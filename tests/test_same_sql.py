"""Both warehouses run the one checked-in text of every .sql file: BigQuery as written,
DuckDB its sqlglot transpilation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import shared.warehouse.duckdb_warehouse as duckdb_module
from shared.warehouse.sql import Sql, to_duckdb
from tests.raw_fixtures import seeded_warehouse
from tests.test_bigquery_warehouse import FakeBigQuery, make_warehouse

ROOT = Path(__file__).resolve().parents[1]
SQL_FILES = sorted((ROOT / "backfill_jobs").rglob("*.sql"))
TARGETS = [path for path in SQL_FILES if path.name.startswith("create_")]
PARAMS = {
    "lookback_start": date(2021, 8, 1),
    "start_date": date(2022, 1, 10),
    "end_date": date(2022, 1, 12),
    "transform_version": "0123456789abcdef",
}


def run(warehouse, sql: Sql) -> None:
    if "CREATE TABLE" in sql.text:
        warehouse.execute(sql)
    else:
        warehouse.query(sql, {k: v for k, v in PARAMS.items() if f"@{k}" in sql.text})


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT / "backfill_jobs"))


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_bigquery_sends_the_file_text_untouched(path: Path) -> None:
    fake = FakeBigQuery()
    sql = Sql.from_file(path)
    run(make_warehouse(fake), sql)
    sent = [job["configuration"]["query"]["query"] for job in fake.inserted("query")]
    assert sent == [sql.text]


@pytest.mark.parametrize("path", SQL_FILES, ids=_id)
def test_duckdb_runs_the_transpilation_of_the_same_text(path: Path, tmp_path, monkeypatch) -> None:
    warehouse = seeded_warehouse(tmp_path / "w.duckdb")
    for target in TARGETS:
        warehouse.execute(Sql.from_file(target))
    transpiled: list[str] = []

    def spy(text: str) -> str:
        transpiled.append(text)
        return to_duckdb(text)

    monkeypatch.setattr(duckdb_module, "to_duckdb", spy)
    sql = Sql.from_file(path)
    run(warehouse, sql)
    warehouse.close()
    assert transpiled == [sql.text]
