"""A bulk write on BigQuery: a long range of days in three jobs and two table updates.

Per-day writes cost one table-update operation per game day (50 per 10 s per table: a full
history of 585 game days takes at least 117 s) and bill 30 MiB each (10 MB for each of the 3
tables read, however little is read). A bulk write of the range instead runs:

1. a CTAS of the whole range into a staging table built from the target's DDL
   (``staging_ddl``): one query job, billed once, writing the staging table only;
2. one query reading the staged rows per day and, with a shrink guard, comparing them with the
   target (``BigQueryWarehouse._compare``): days that would shrink are held;
3. one multi-statement query job, a transaction::

       BEGIN TRANSACTION;
       DELETE FROM target WHERE day BETWEEN @first_day AND @last_day [AND day NOT IN held];
       INSERT INTO target (columns) SELECT columns FROM staging [WHERE day NOT IN held];
       COMMIT TRANSACTION;

   Two DML statements: two table-update operations on the target, two of its 25 DML
   statements per 10 s. Atomic for the whole range: an error rolls everything back
   (https://cloud.google.com/bigquery/docs/transactions). The rows carry the lineage columns
   the select wrote, column for column.

A DML statement may modify at most 4,000 partitions
(https://cloud.google.com/bigquery/quotas#partitioned_tables), so a bulk write spans at most
``MAX_BULK_DAYS`` calendar days; the engine plans longer ranges as several bulk writes.
Transactions that delete rows of one table cancel each other, so bulk writes of one table run
one at a time (the engine's job).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import sqlglot
from google.cloud import bigquery
from sqlglot import exp

from shared.warehouse.base import Params, PartitionedTable, ShrinkGuard, WriteResult
from shared.warehouse.bigquery_sql import quoted, staging_ddl
from shared.warehouse.sql import Sql

if TYPE_CHECKING:
    from shared.warehouse.bigquery_warehouse import BigQueryWarehouse

# At most 4,000 partitions per DML statement (quotas page); a span of days touches at most
# one partition per calendar day.
MAX_BULK_DAYS = 4000


def replace_range(
    warehouse: BigQueryWarehouse,
    table: PartitionedTable,
    target: bigquery.TableReference,
    select: Sql,
    params: Params,
    days: Sequence[date],
    guard: ShrinkGuard | None,
) -> WriteResult:
    """Replace ``days`` (sorted, unique) of ``target`` with ``select``'s rows in one
    transaction; see the module docstring."""
    first, last = days[0], days[-1]
    if (last - first).days + 1 > MAX_BULK_DAYS:
        raise ValueError(f"a bulk write spans at most {MAX_BULK_DAYS} days ({first}..{last})")
    column = checked_column(table.partition_column)
    staging = bigquery.TableReference(
        bigquery.DatasetReference(target.project, target.dataset_id),
        f"{target.table_id}__bulk_{first:%Y%m%d}_{uuid.uuid4().hex[:12]}",
    )
    ddl = warehouse._sql(table.ddl.text)
    try:
        _run(
            warehouse, staging_ddl(ddl, staging, warehouse._sql(select.text)), params, select, first
        )
        counts, held, accepted = warehouse._staged(
            staging, target, table, guard, select.name, list(days)
        )
        if len(held) < len(days):
            columns = ", ".join(f"`{name}`" for name in target_columns(ddl))
            not_held = f"`{column}` NOT IN UNNEST(@held_days)"
            script = (
                "BEGIN TRANSACTION;\n"
                f"DELETE FROM {quoted(target)} WHERE `{column}` BETWEEN @first_day AND @last_day"
                f"{' AND ' + not_held if held else ''};\n"
                f"INSERT INTO {quoted(target)} ({columns})\n"
                f"SELECT {columns} FROM {quoted(staging)}{' WHERE ' + not_held if held else ''};\n"
                "COMMIT TRANSACTION;"
            )
            script_params: dict[str, object] = {"first_day": first, "last_day": last}
            if held:
                script_params["held_days"] = sorted(held)
            # Two DML statements on the target: two table updates, one DML slot held throughout.
            with warehouse.pacer.dml(str(target)):
                warehouse.pacer.before_update(str(target))
                warehouse.pacer.before_update(str(target))
                _run(warehouse, script, script_params, select, first)
        written = sum(n for day, n in counts.items() if day not in held)
        return WriteResult(written, held, accepted)
    finally:
        warehouse._drop(staging)


def _run(warehouse: BigQueryWarehouse, text: str, params: Params, select: Sql, day: date) -> None:
    """One query job named after the write's statement and first day, tracked and awaited."""
    with warehouse._tracked() as track:
        warehouse._result(track(warehouse._start_query(text, params, select.name, day)))


def target_columns(ddl: str) -> list[str]:
    """The column names a CREATE TABLE declares, in order."""
    create = sqlglot.parse_one(ddl, read="bigquery")
    schema = create.this if isinstance(create, exp.Create) else None
    if not isinstance(schema, exp.Schema):
        raise ValueError("the target DDL is not a CREATE TABLE with a column list")
    return [
        checked_column(column.name)
        for column in schema.expressions
        if isinstance(column, exp.ColumnDef)
    ]


def checked_column(name: str) -> str:
    if not name.replace("_", "a").isalnum() or not name.isascii() or name[0].isdigit():
        raise ValueError(f"not a column name: {name!r}")
    return name
