"""Column types of the raw tables, read from their checked-in DDL, and CSV value parsing.

The DDL is the one place a raw column is declared, so the parsers and the Arrow
batches the loader inserts cannot drift from the tables.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from shared.warehouse.base import PartitionedTable


class Kind(enum.Enum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"


_KINDS = {
    exp.DataType.Type.TEXT: Kind.STRING,
    exp.DataType.Type.VARCHAR: Kind.STRING,
    exp.DataType.Type.BIGINT: Kind.INT,
    exp.DataType.Type.INT: Kind.INT,
    exp.DataType.Type.DOUBLE: Kind.FLOAT,
    exp.DataType.Type.FLOAT: Kind.FLOAT,
    exp.DataType.Type.BOOLEAN: Kind.BOOL,
    exp.DataType.Type.DATE: Kind.DATE,
}

_ARROW_TYPES = {
    Kind.STRING: pa.string(),
    Kind.INT: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.BOOL: pa.bool_(),
    Kind.DATE: pa.date32(),
}

_INT = re.compile(r"^[+-]?\d+$")
# pandas writes a nullable integer column as floats: "12.0" is the integer 12.
_INTEGRAL_FLOAT = re.compile(r"^[+-]?\d+\.0*$")
# INT64, the columns' type in BigQuery and DuckDB: a larger number cannot be stored.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = frozenset({"true", "t", "1", "yes"})
_FALSE = frozenset({"false", "f", "0", "no"})


class OutOfRange(ValueError):
    """A number too large for its column's type: it cannot be stored, so never kept as NULL."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool


@functools.cache
def table_columns(table: PartitionedTable) -> tuple[Column, ...]:
    """The columns of a raw table, in DDL order, with their kind and NOT NULL flag."""
    statement = sqlglot.parse_one(table.ddl.text, read="bigquery")
    columns = []
    for definition in statement.this.expressions:
        if not isinstance(definition, exp.ColumnDef):
            continue
        kind = _KINDS.get(definition.args["kind"].this)
        if kind is None:
            raise ValueError(f"{table.name}.{definition.name}: no CSV parser for its type")
        required = any(
            isinstance(constraint.args.get("kind"), exp.NotNullColumnConstraint)
            for constraint in definition.args.get("constraints") or ()
        )
        columns.append(Column(definition.name, kind, required))
    return tuple(columns)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(column.name, _ARROW_TYPES[column.kind]) for column in columns])


def parse_value(column: Column, text: str) -> Any:
    """The typed value of one CSV field; blank is NULL. ValueError names the column."""
    value = text.strip()
    if not value:
        if column.required:
            raise ValueError(f"{column.name} is blank")
        return None
    try:
        return _PARSERS[column.kind](value)
    except ValueError as exc:
        raise ValueError(f"{column.name}: {exc}") from None


def parse_int(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if _INT.match(value) or _INTEGRAL_FLOAT.match(value):
        number = int(value.split(".")[0])
        if not INT64_MIN <= number <= INT64_MAX:
            raise OutOfRange(f"{_clipped(value)} is out of range for INT64")
        return number
    raise ValueError(f"{_clipped(value)} is not an integer")


def parse_float(text: str) -> float | None:
    value = text.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{text!r} is not true/false")


def parse_iso_date(text: str) -> date:
    value = text.strip()
    if _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a YYYY-MM-DD date")


def _clipped(value: str, limit: int = 30) -> str:
    """The value as quoted in a message, at most ``limit`` characters of it."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}..."


_PARSERS: dict[Kind, Callable[[str], object]] = {
    Kind.STRING: str,
    Kind.INT: parse_int,
    Kind.FLOAT: parse_float,
    Kind.BOOL: parse_bool,
    Kind.DATE: parse_iso_date,
}
