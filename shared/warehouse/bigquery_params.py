"""Values as typed BigQuery query parameters, never formatted into SQL."""

from __future__ import annotations

from datetime import date, datetime

from google.cloud import bigquery

from shared.warehouse.base import (
    Params,
)

# Order matters: bool is an int, datetime is a date.
_PARAMETER_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "BOOL"),
    (int, "INT64"),
    (float, "FLOAT64"),
    (str, "STRING"),
    (datetime, "TIMESTAMP"),
    (date, "DATE"),
)


def _parameter_type(name: str, value: object) -> str:
    for python_type, bigquery_type in _PARAMETER_TYPES:
        if isinstance(value, python_type):
            return bigquery_type
    raise TypeError(f"query parameter {name!r}: no BigQuery type for {type(value).__name__}")


def query_parameters(
    params: Params | None,
) -> list[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter]:
    """Python values as typed BigQuery parameters; lists become ARRAY parameters."""
    parameters: list[bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter] = []
    for name, value in (params or {}).items():
        if isinstance(value, list | tuple):
            if not value:
                raise TypeError(f"query parameter {name!r}: an empty list has no element type")
            types = {_parameter_type(name, item) for item in value}
            if len(types) > 1:
                raise TypeError(f"query parameter {name!r}: mixed element types {sorted(types)}")
            parameters.append(bigquery.ArrayQueryParameter(name, types.pop(), list(value)))
        else:
            kind = _parameter_type(name, value)
            parameters.append(bigquery.ScalarQueryParameter(name, kind, value))
    return parameters


def first_day(params: Params | None) -> date | None:
    """The earliest DATE parameter: names the jobs of a statement after the day it serves."""
    days: list[date] = []
    for value in (params or {}).values():
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, date) and not isinstance(item, datetime):
                days.append(item)
    return min(days, default=None)
