"""A BigQuery statement as the simulator reads it: its kind, the tables it reads, the
partitions its filters prune to, and the DuckDB text that computes it.

Parsing is done once per distinct text (jobs of one statement differ only in their
parameters). The DuckDB text is the project's own sqlglot transpilation
(``shared.warehouse.sql.to_duckdb``) after the project qualifier is dropped: datasets
are DuckDB schemas.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from shared.warehouse.sql import to_duckdb


class SqlError(ValueError):
    """The statement is not valid BigQuery SQL for the simulator (reason ``invalidQuery``)."""


class Kind(enum.Enum):
    SELECT = "SELECT"
    CREATE_TABLE = "CREATE_TABLE"
    CREATE_TABLE_AS_SELECT = "CREATE_TABLE_AS_SELECT"
    DROP_TABLE = "DROP_TABLE"
    ALTER_TABLE = "ALTER_TABLE"
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    MERGE = "MERGE"

    @property
    def is_dml(self) -> bool:
        return self in {Kind.INSERT, Kind.UPDATE, Kind.DELETE, Kind.MERGE}


@dataclass(frozen=True)
class TableName:
    dataset: str
    table: str

    def __str__(self) -> str:
        return f"{self.dataset}.{self.table}"


# One side of a partition filter: a query parameter's name, or a constant day.
Operand = str | date


@dataclass(frozen=True)
class Condition:
    """``column <op> operand`` on a table's partition column; ``op`` is one of
    between, =, >=, <=, >, <, in (``operands`` holds the bounds or the list)."""

    op: str
    operands: tuple[Operand, ...]


@dataclass(frozen=True)
class TableRead:
    """One reference to a table and the conditions on ``column`` in its own WHERE."""

    name: TableName
    qualifiers: frozenset[str]
    conditions: tuple[tuple[str, Condition], ...]  # (column, condition)

    def days(
        self, partition_column: str | None, params: Mapping[str, Any]
    ) -> tuple[date | None, date | None, frozenset[date] | None] | None:
        """The (low, high, only) days this reference reads, or None for every partition.

        Pruning needs a constant filter (a literal or a parameter) on the table's own
        partition column in the WHERE next to it; anything else scans every partition
        (https://cloud.google.com/bigquery/docs/querying-partitioned-tables#pruning_limiting_partitions).
        """
        if partition_column is None:
            return None
        low: date | None = None
        high: date | None = None
        only: frozenset[date] | None = None
        pruned = False
        for column, condition in self.conditions:
            if column != partition_column:
                continue
            values = [_resolve(operand, params) for operand in condition.operands]
            if any(value is None for value in values):
                continue
            days = [value for value in values if value is not None]
            pruned = True
            if condition.op == "between":
                low, high = _max(low, days[0]), _min(high, days[1])
            elif condition.op == "=":
                low, high = _max(low, days[0]), _min(high, days[0])
            elif condition.op in {">=", ">"}:
                low = _max(low, days[0])
            elif condition.op in {"<=", "<"}:
                high = _min(high, days[0])
            elif condition.op == "in":
                only = frozenset(days) if only is None else only & frozenset(days)
        return (low, high, only) if pruned else None


@dataclass(frozen=True)
class AddedColumn:
    """``ADD COLUMN [IF NOT EXISTS] name type`` of an ALTER TABLE, its type as DuckDB spells it."""

    name: str
    duckdb_type: str
    if_not_exists: bool


@dataclass(frozen=True)
class Statement:
    kind: Kind
    duckdb: str
    parameters: frozenset[str]
    projects: frozenset[str]
    reads: tuple[TableRead, ...]
    target: TableName | None = None
    # CREATE TABLE: the column list's DuckDB DDL, the query (CTAS), and BigQuery options.
    create_duckdb: str | None = None
    if_not_exists: bool = False
    partition_column: str | None = None
    clustering: tuple[str, ...] = ()
    expiration_sql: str | None = None
    # ALTER TABLE [IF EXISTS] ... ADD COLUMN: the columns it adds.
    if_exists: bool = False
    added_columns: tuple[AddedColumn, ...] = ()


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Statement:
    """The statement of ``text`` (cached per text), or SqlError."""
    try:
        tree = sqlglot.parse_one(text, read="bigquery")
    except (ParseError, SqlglotError) as exc:
        raise SqlError(f"Syntax error: {str(exc).splitlines()[0]}") from exc
    projects = frozenset(_strip_projects(tree))
    parameters = frozenset(
        param.name for param in tree.find_all(exp.Parameter) if isinstance(param.this, exp.Var)
    )
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    if isinstance(tree, exp.Create):
        query = tree.expression
        reads = tuple(_reads(query, ctes)) if query is not None else ()
        return _create(tree, projects, parameters, reads)
    if isinstance(tree, exp.Alter):
        return _alter(tree, projects, parameters)
    reads = tuple(_reads(tree, ctes))
    if isinstance(tree, exp.Drop):
        target = _table_name(tree.this)
        return Statement(Kind.DROP_TABLE, _duckdb(tree), parameters, projects, (), target)
    for node, kind in (
        (exp.Insert, Kind.INSERT),
        (exp.Update, Kind.UPDATE),
        (exp.Delete, Kind.DELETE),
        (exp.Merge, Kind.MERGE),
    ):
        if isinstance(tree, node):
            target_node = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            target = _table_name(target_node)
            others = tuple(read for read in reads if read.name != target)
            return Statement(kind, _duckdb(tree), parameters, projects, others, target)
    if not isinstance(tree, exp.Query):
        raise SqlError(f"statement not supported by the simulator: {tree.key.upper()}")
    return Statement(Kind.SELECT, _duckdb(tree), parameters, projects, reads)


def _create(
    tree: exp.Create,
    projects: frozenset[str],
    parameters: frozenset[str],
    reads: tuple[TableRead, ...],
) -> Statement:
    if (tree.args.get("kind") or "").upper() != "TABLE":
        raise SqlError("only CREATE TABLE is supported by the simulator")
    schema = tree.this if isinstance(tree.this, exp.Schema) else None
    table = schema.this if schema is not None else tree.this
    target = _table_name(table)
    partition: str | None = None
    clustering: tuple[str, ...] = ()
    expiration: str | None = None
    properties = tree.args.get("properties")
    for prop in properties.expressions if properties is not None else ():
        if isinstance(prop, exp.PartitionedByProperty):
            partition = (
                prop.this.name if isinstance(prop.this, exp.Identifier | exp.Column) else None
            )
            if partition is None:
                raise SqlError("the simulator partitions only by a DATE column")
        elif isinstance(prop, exp.ClusterProperty):
            clustering = tuple(column.name for column in prop.expressions)
        elif type(prop) is exp.Property and prop.name == "expiration_timestamp":
            expiration = to_duckdb(f"SELECT {prop.args['value'].sql(dialect='bigquery')}")
    query = tree.expression
    if query is None:
        kind = Kind.CREATE_TABLE
        create_duckdb = _duckdb(tree)
        select_duckdb = ""
    else:
        kind = Kind.CREATE_TABLE_AS_SELECT
        body = query.this if isinstance(query, exp.Subquery) else query
        select_duckdb = _duckdb(body)
        create_duckdb = None
        if schema is not None:
            bare = tree.copy()
            bare.set("expression", None)
            create_duckdb = _duckdb(bare)
    return Statement(
        kind,
        select_duckdb,
        parameters,
        projects,
        reads,
        target,
        create_duckdb=create_duckdb,
        if_not_exists=bool(tree.args.get("exists")),
        partition_column=partition,
        clustering=clustering,
        expiration_sql=expiration,
    )


def _alter(tree: exp.Alter, projects: frozenset[str], parameters: frozenset[str]) -> Statement:
    """``ALTER TABLE [IF EXISTS] t ADD COLUMN [IF NOT EXISTS] c TYPE[, ADD COLUMN ...]``: a
    change of the table's schema, not DML; it reads no table. New columns are NULLABLE: a
    REQUIRED (NOT NULL) one cannot be added to an existing table
    (https://cloud.google.com/bigquery/docs/managing-table-schemas#add_an_empty_column).
    Other ALTER actions are refused.
    """
    if (tree.args.get("kind") or "").upper() != "TABLE":
        raise SqlError("only ALTER TABLE is supported by the simulator")
    target = _table_name(tree.this)
    added: list[AddedColumn] = []
    for action in tree.args.get("actions") or ():
        kind = action.args.get("kind") if isinstance(action, exp.ColumnDef) else None
        if not isinstance(kind, exp.DataType):
            raise SqlError("the simulator runs ALTER TABLE ... ADD COLUMN name TYPE only")
        constraints = action.args.get("constraints") or ()
        if any(isinstance(c.args.get("kind"), exp.NotNullColumnConstraint) for c in constraints):
            raise SqlError(
                f"Cannot add REQUIRED column {action.name} to table {target}: "
                "columns added to an existing table must be NULLABLE"
            )
        if constraints:
            raise SqlError(f"the simulator adds plain columns only: {action.sql('bigquery')}")
        added.append(
            AddedColumn(action.name, kind.sql(dialect="duckdb"), bool(action.args.get("exists")))
        )
    if not added:
        raise SqlError("ALTER TABLE without ADD COLUMN is not supported by the simulator")
    return Statement(
        Kind.ALTER_TABLE,
        "",
        parameters,
        projects,
        (),
        target,
        if_exists=bool(tree.args.get("exists")),
        added_columns=tuple(added),
    )


def _strip_projects(tree: exp.Expr) -> set[str]:
    """Drops every table's project qualifier (datasets are DuckDB schemas); returns them."""
    projects: set[str] = set()
    for table in tree.find_all(exp.Table):
        catalog = table.args.get("catalog")
        if catalog is not None:
            projects.add(catalog.name)
            table.set("catalog", None)
    return projects


def _table_name(node: exp.Expression) -> TableName:
    if not isinstance(node, exp.Table) or not node.db:
        raise SqlError(
            f'Table "{node.sql(dialect="bigquery")}" must be qualified with a dataset '
            "(e.g. dataset.table)."
        )
    return TableName(node.db, node.name)


def _reads(tree: exp.Expr, ctes: set[str]) -> list[TableRead]:
    reads = []
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in ctes:
            continue
        if not table.db:
            raise SqlError(
                f'Table "{table.name}" must be qualified with a dataset (e.g. dataset.table).'
            )
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select is not None else None
        qualifiers = frozenset({table.alias_or_name, table.name})
        conditions = tuple(_conditions(where.this, qualifiers)) if where is not None else ()
        reads.append(TableRead(TableName(table.db, table.name), qualifiers, conditions))
    return reads


def _conditions(node: exp.Expression, qualifiers: frozenset[str]) -> list[tuple[str, Condition]]:
    if isinstance(node, exp.And):
        return _conditions(node.this, qualifiers) + _conditions(node.expression, qualifiers)
    if isinstance(node, exp.Paren):
        return _conditions(node.this, qualifiers)
    column = node.this if isinstance(node, exp.Between | exp.In | exp.Binary) else None
    if not isinstance(column, exp.Column) or (column.table and column.table not in qualifiers):
        return []
    operands: tuple[Operand | None, ...]
    if isinstance(node, exp.Between):
        operands = (_operand(node.args["low"]), _operand(node.args["high"]))
        op = "between"
    elif isinstance(node, exp.In):
        operands = tuple(_operand(item) for item in node.expressions)
        op = "in"
    else:
        op = _COMPARISONS.get(type(node), "")
        operands = (_operand(node.expression),)
    if not op or any(operand is None for operand in operands):
        return []
    return [(column.name, Condition(op, tuple(o for o in operands if o is not None)))]


_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.GTE: ">=",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.LT: "<",
}


def _operand(node: exp.Expression) -> Operand | None:
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Var):
        return node.name
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return date.fromisoformat(node.this)
        except ValueError:
            return None
    return None


def _resolve(operand: Operand, params: Mapping[str, Any]) -> date | None:
    value = params.get(operand) if isinstance(operand, str) else operand
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _max(a: date | None, b: date) -> date:
    return b if a is None else max(a, b)


def _min(a: date | None, b: date) -> date:
    return b if a is None else min(a, b)


def _duckdb(tree: exp.Expr) -> str:
    try:
        return to_duckdb(tree.sql(dialect="bigquery"))
    except SqlglotError as exc:
        raise SqlError(f"cannot run on the embedded engine: {str(exc).splitlines()[0]}") from exc
