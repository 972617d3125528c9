"""The SQL this adapter writes itself (staging DDL, row comparisons) and reads (DML targets,
NOT NULL columns), on sqlglot's AST; and the references of partitions and tables."""

from __future__ import annotations

import functools
import re
from datetime import date

import sqlglot
from google.cloud import bigquery
from sqlglot import exp

# Staging tables outlive a crashed run by at most this long.
STAGING_TTL_HOURS = 24

COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")


@functools.lru_cache(maxsize=256)
def dml_target(text: str) -> str | None:
    """``dataset.table`` a mutating DML statement (INSERT, UPDATE, DELETE, MERGE) writes, else None."""
    statement = sqlglot.parse_one(text, read="bigquery")
    if not isinstance(statement, exp.Insert | exp.Update | exp.Delete | exp.Merge):
        return None
    table = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
    if not isinstance(table, exp.Table):
        return None
    return f"{table.db}.{table.name}" if table.db else table.name


def not_null_columns(ddl: str) -> list[str]:
    """The columns a CREATE TABLE declares NOT NULL."""
    create = sqlglot.parse_one(ddl, read="bigquery")
    return [
        column.name
        for column in create.find_all(exp.ColumnDef)
        if any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in column.constraints)
    ]


def staging_ddl(target_ddl: str, staging: bigquery.TableReference, select: str) -> str:
    """A CTAS creating ``staging`` with the target's columns (modes included), partitioning
    and clustering, expiring after STAGING_TTL_HOURS, filled by ``select``'s columns by name.
    """
    create = sqlglot.parse_one(target_ddl, read="bigquery")
    schema = create.this if isinstance(create, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        raise ValueError("the target DDL is not a CREATE TABLE with a column list")
    create = create.copy()
    create.comments = None
    create.set("exists", False)
    create.this.set(
        "this",
        exp.table_(staging.table_id, db=staging.dataset_id, catalog=staging.project, quoted=True),
    )
    properties = create.args.get("properties")
    if properties is not None:
        for option in [prop for prop in properties.expressions if type(prop) is exp.Property]:
            option.pop()
    columns = ", ".join(
        f"`{column.name}`" for column in schema.expressions if isinstance(column, exp.ColumnDef)
    )
    body = select.strip().rstrip(";").rstrip()
    return (
        f"{create.sql(dialect='bigquery')}\n"
        f"OPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), "
        f"INTERVAL {STAGING_TTL_HOURS} HOUR))\n"
        f"AS (\nSELECT {columns}\nFROM (\n{body}\n)\n)"
    )


def partition_ref(table: bigquery.TableReference, day: date) -> bigquery.TableReference:
    return bigquery.TableReference(dataset_ref(table), f"{table.table_id}${day:%Y%m%d}")


def dataset_ref(table: bigquery.TableReference) -> bigquery.DatasetReference:
    return bigquery.DatasetReference(table.project, table.dataset_id)


def quoted(table: bigquery.TableReference) -> str:
    return f"`{table.project}`.`{table.dataset_id}`.`{table.table_id}`"
