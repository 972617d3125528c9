"""Values in and out of BigQuery's REST shapes, and its errors as the client receives them.

* Query parameters: ``{"name", "parameterType": {"type"}, "parameterValue": {"value"}}``
  (https://cloud.google.com/bigquery/docs/reference/rest/v2/QueryParameter).
* Rows: ``{"f": [{"v": "..."}]}`` with every value a string
  (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults);
  TIMESTAMP as int64 microseconds when the caller asks ``formatOptions.useInt64Timestamp``.
* Errors: an HTTP status with ``{"error": {"code", "message", "errors": [{"reason", ...}]}}``
  (https://cloud.google.com/bigquery/docs/error-messages); in process, the
  ``google.api_core.exceptions`` object the client's connection would have raised for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from google.api_core import exceptions as api_exceptions


class ApiError(Exception):
    """A refused request or a failed job: HTTP ``status``, BigQuery ``reason``, one message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message

    def error_proto(self) -> dict[str, str]:
        """The ``errorResult`` / ``errors[]`` entry (ErrorProto)."""
        return {"reason": self.reason, "message": self.message, "domain": "global"}

    def to_exception(self) -> api_exceptions.GoogleAPICallError:
        return api_exceptions.from_http_status(
            self.status, self.message, errors=[self.error_proto()]
        )

    def to_body(self) -> dict[str, Any]:
        return {
            "error": {"code": self.status, "message": self.message, "errors": [self.error_proto()]}
        }


def not_found(what: str) -> ApiError:
    return ApiError(404, "notFound", f"Not found: {what}")


def invalid(message: str, reason: str = "invalid") -> ApiError:
    return ApiError(400, reason, message)


def parameters(resources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Named query parameters as Python values (DATE -> date, INT64 -> int, ...)."""
    values: dict[str, Any] = {}
    for resource in resources:
        name = resource.get("name")
        if not name:
            raise invalid("the simulator supports named query parameters only", "invalidQuery")
        kind = resource.get("parameterType", {})
        value = resource.get("parameterValue", {})
        if kind.get("type") == "ARRAY":
            element = kind.get("arrayType", {}).get("type", "STRING")
            values[name] = [
                _scalar(element, item.get("value")) for item in value.get("arrayValues", [])
            ]
        else:
            values[name] = _scalar(kind.get("type", "STRING"), value.get("value"))
    return values


def _scalar(kind: str, raw: Any) -> Any:
    if raw is None:
        return None
    if kind == "DATE":
        return date.fromisoformat(str(raw))
    if kind in {"INT64", "INTEGER"}:
        return int(raw)
    if kind in {"FLOAT64", "FLOAT"}:
        return float(raw)
    if kind in {"BOOL", "BOOLEAN"}:
        return raw is True or str(raw).lower() == "true"
    if kind == "TIMESTAMP":
        moment = datetime.fromisoformat(str(raw).replace(" UTC", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if kind == "NUMERIC":
        return Decimal(str(raw))
    return str(raw)


def cell(value: Any, int64_timestamps: bool) -> str | None:
    """One value as getQueryResults sends it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        micros = round(moment.timestamp() * 1_000_000)
        return str(micros) if int64_timestamps else repr(micros / 1_000_000)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def rows(records: Sequence[Mapping[str, Any]], names: Sequence[str], int64: bool) -> list[Any]:
    return [{"f": [{"v": cell(record[name], int64)} for name in names]} for record in records]
