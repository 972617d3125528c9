"""SQL texts: checked in as BigQuery Standard SQL, transpiled by sqlglot for DuckDB.

Every transform has exactly one text. BigQuery runs it as written; DuckDB runs
``to_duckdb(text)``. Values never enter the text: they travel as query
parameters (``@start_date`` in BigQuery becomes ``$start_date`` in DuckDB).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

# Storage options DuckDB has no equivalent for: its tables are kept in game_date
# order instead, so zone maps prune a day's reads the way partitions do.
_BIGQUERY_ONLY_PROPERTIES = (exp.PartitionedByProperty, exp.ClusterProperty, exp.Property)

# sqlglot warns on every transpile that it shifts SAFE_OFFSET's 0-based index to DuckDB's
# 1-based one; that is the intended translation, not news for a backfill's log.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> exp.Expr:
    """One parse per text (the transform's is read by several helpers); callers copy to edit."""
    return sqlglot.parse_one(text, read="bigquery")


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUALIFIED_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Sql:
    """One checked-in statement; ``name`` is the file stem, used in logs and job ids."""

    name: str
    text: str

    @classmethod
    def from_file(cls, path: Path) -> Sql:
        return cls(name=path.stem, text=path.read_text(encoding="utf-8"))

    @functools.cached_property
    def parameters(self) -> frozenset[str]:
        """The ``@names`` the text uses (DuckDB refuses a parameter a statement does not use)."""
        return frozenset(node.name for node in _parsed(self.text).find_all(exp.Parameter))

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters of ``params`` this statement uses."""
        return {name: value for name, value in params.items() if name in self.parameters}


def normalized(text: str) -> str:
    """The statement as sqlglot regenerates it: comments and layout do not count.

    >>> normalized("SELECT a -- why\nFROM t") == normalized("select a\n  from t")
    True
    """
    return _parsed(text).sql(dialect="bigquery", comments=False)


def cte_query(sql: Sql, cte: str) -> Sql:
    """``SELECT * FROM cte`` over the CTEs of ``sql`` that ``cte`` needs: the very text a
    statement computes a part with, run on its own (a lineage digest read apart from the write).
    """
    ctes = {node.alias_or_name: node for node in _parsed(sql.text).find_all(exp.CTE)}
    if cte not in ctes:
        raise ValueError(f"{sql.name} has no CTE named {cte!r}")
    needed: list[str] = []

    def visit(name: str) -> None:
        if name in needed:
            return
        for table in ctes[name].this.find_all(exp.Table):
            if not table.args.get("db") and table.name in ctes and table.name != name:
                visit(table.name)
        needed.append(name)

    visit(cte)
    query = exp.select("*").from_(cte)
    for name in needed:
        query = query.with_(name, as_=ctes[name].this.copy())
    return Sql(name=f"{sql.name}.{cte}", text=query.sql(dialect="bigquery", pretty=True))


def load_sql_dir(directory: Path) -> dict[str, Sql]:
    """Every ``*.sql`` file of a directory, keyed by file stem."""
    return {path.stem: Sql.from_file(path) for path in sorted(directory.glob("*.sql"))}


def _farm_fingerprint_as_hash(node: exp.Expression) -> exp.Expression:
    """DuckDB has no FARM_FINGERPRINT; its HASH is another 64-bit row hash, which is all a
    lineage digest needs (digests are only compared within one warehouse). The BigQuery
    idiom ``FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(a, b, ...)))`` becomes ``HASH(a, b, ...)``,
    and ``FARM_FINGERPRINT(TO_JSON_STRING(t))`` of a row ``HASH(t)`` (equal on DuckDB):
    the same row identity without building a JSON text per row (16 to 42 times faster over
    1.4 M play-by-play events, measured twice each). HASH is unsigned; shifted one bit it fits
    an INT64 column as FARM_FINGERPRINT does.
    """
    if not isinstance(node, exp.FarmFingerprint):
        return node
    arguments = node.expressions or [node.this]
    if len(arguments) == 1 and isinstance(arguments[0], exp.JSONFormat):
        inner = arguments[0].this
        # A STRUCT's fields, or a whole row named by its table alias (DuckDB hashes the row).
        arguments = list(inner.expressions) if isinstance(inner, exp.Struct) else [inner]
    hashed = exp.BitwiseRightShift(
        this=exp.Anonymous(this="HASH", expressions=arguments), expression=exp.Literal.number(1)
    )
    return exp.cast(hashed, exp.DataType.build("BIGINT"))


@functools.lru_cache(maxsize=256)
def to_duckdb(text: str) -> str:
    """The DuckDB transpilation of one BigQuery statement (cached: texts are few)."""
    statement = _parsed(text).transform(_farm_fingerprint_as_hash)
    properties = statement.args.get("properties")
    if properties is not None:
        for prop in list(properties.expressions):
            if isinstance(prop, _BIGQUERY_ONLY_PROPERTIES):
                prop.pop()
        if not properties.expressions:
            properties.pop()
    return statement.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)


@dataclass(frozen=True)
class DatasetNames:
    """Where each dataset the SQL names lives: itself, unless a run renamed it."""

    renamed: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, datasets: Mapping[str, str] | None) -> DatasetNames:
        return cls(tuple(sorted((k, v) for k, v in (datasets or {}).items() if k != v)))

    def text(self, sql: str) -> str:
        return rename_datasets(sql, self.renamed) if self.renamed else sql

    def table(self, name: str) -> str:
        """``dataset.table`` with its dataset renamed, checked to be safe in SQL."""
        dataset, table = checked_table_name(name).split(".")
        return checked_table_name(f"{dict(self.renamed).get(dataset, dataset)}.{table}")


def is_identifier(name: str) -> bool:
    """A name SQL takes unquoted: letters, digits and underscores, not starting with a digit."""
    return bool(_IDENTIFIER.match(name))


def checked_table_name(name: str) -> str:
    """A ``dataset.table`` name safe to place in SQL, or ValueError.

    Names are code constants or validated config, never user data; this guard
    keeps it that way.
    """
    if not _QUALIFIED_TABLE.match(name):
        raise ValueError(f"not a dataset.table name: {name!r}")
    return name


@functools.lru_cache(maxsize=256)
def rename_datasets(text: str, renamed: tuple[tuple[str, str], ...]) -> str:
    """``text`` with the dataset qualifier of every table in ``renamed`` replaced (AST-based).

    Example: ``FROM nba_raw.nbac_schedule`` with (("nba_raw", "scratch_1"),) becomes
    ``FROM scratch_1.nbac_schedule``; CTE names and column references are untouched.
    """
    mapping = dict(renamed)
    statement = sqlglot.parse_one(text, read="bigquery")
    for table in statement.find_all(exp.Table):
        dataset = table.args.get("db")
        if isinstance(dataset, exp.Identifier) and dataset.name in mapping:
            dataset.replace(exp.to_identifier(mapping[dataset.name], quoted=dataset.quoted))
    return statement.sql(dialect="bigquery")


def added_columns(ddl: Sql, existing: Sequence[str], *, one_statement: bool) -> list[Sql]:
    """``ALTER TABLE ... ADD COLUMN`` for the columns of a ``CREATE TABLE`` the table lacks (a
    column added to the DDL reaches tables created before it); names come from the DDL.
    ``one_statement``: every column in one ALTER (BigQuery: one table metadata update of the
    five it allows per 10 s), else one ALTER each (DuckDB takes one action per statement)."""
    create = sqlglot.parse_one(ddl.text, read="bigquery")
    schema = create.this
    table = schema.this.sql(dialect="bigquery")
    have = {name.lower() for name in existing}
    actions = [
        f"ADD COLUMN IF NOT EXISTS {column.name} {column.args['kind'].sql(dialect='bigquery')}"
        for column in schema.expressions
        if isinstance(column, exp.ColumnDef) and column.name.lower() not in have
    ]
    if not actions:
        return []
    groups = [actions] if one_statement else [[action] for action in actions]
    return [
        Sql(name=f"{ddl.name}.add_columns", text=f"ALTER TABLE {table} " + ", ".join(group))
        for group in groups
    ]
