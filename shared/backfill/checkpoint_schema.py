"""The checkpoint file's format, schema_version 1: a pydantic model of the JSON on disk.

The model is the definition of the format: it parses and checks a file (strictly: a day
record that is a string, ``"attempts": "x"`` or ``runs`` that is not a list is refused
with the field at fault, never half-used), the writer follows its shape, and it generates
the published JSON Schema::

    python -m shared.backfill.checkpoint_schema > docs/schemas/checkpoint.v1.schema.json

A day's cost is kept flat in its record (``bytes_processed``, ``bytes_billed``,
``slot_ms``). Empty optional fields are left out (files written before the model hold some
as null; both read the same). A change to the format bumps ``SCHEMA_VERSION`` and keeps
reading version 1.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError
from pydantic_core import ErrorDetails, to_json

from shared.backfill.checkpoint_state import CheckpointState, DayRecord
from shared.backfill.fingerprints import Fingerprint
from shared.backfill.results import DayStatus
from shared.warehouse.base import JobCost

SCHEMA_VERSION: Final = 1
# How many problems of a refused file its one-line error names.
SHOWN_PROBLEMS = 3


class _Strict(BaseModel):
    # Strict: "5" is not a number of rows, true is not a count, NaN is not a duration.
    model_config = ConfigDict(strict=True, allow_inf_nan=False, frozen=True)


class FingerprintEntry(_Strict):
    """An input's rows of one day: how many, and their digest (a 64-bit integer as text)."""

    rows: NonNegativeInt
    digest: str


class DayEntry(_Strict):
    """A day's latest outcome."""

    status: DayStatus
    rows: NonNegativeInt = 0
    units: NonNegativeInt = 0
    attempts: NonNegativeInt = Field(0, description="Attempts over every run, retries included.")
    duration_s: float = Field(0.0, description="Seconds, to the millisecond.")
    started_at: datetime | None = Field(None, description="When the day's batch began.")
    finished_at: datetime | None = Field(None, description="When the outcome was recorded.")
    coverage: float | None = Field(None, description="The job's quality ratio for the day.")
    error: str | None = None
    inputs: dict[str, FingerprintEntry] | None = Field(
        None, description="Each source's fingerprint read before the run, by source name."
    )
    version: str | None = Field(None, description="The version of the transform that ran.")
    bytes_processed: NonNegativeInt | None = None
    bytes_billed: NonNegativeInt | None = Field(
        None, description="Present when the warehouse billed the day (with the two beside it)."
    )
    slot_ms: NonNegativeInt | None = None


class DayRange(_Strict):
    start: date
    end: date


class CheckpointFile(_Strict):
    """The crash-safe record of one job's finished days over one date range."""

    model_config = ConfigDict(title=f"Checkpoint (schema_version {SCHEMA_VERSION})")

    schema_version: Literal[1]
    job: str
    range: DayRange
    warehouse: str | None = Field(None, description="The warehouse identity days went to.")
    created_at: str = ""
    updated_at: str = ""
    stats: dict[str, NonNegativeInt] = Field(
        default_factory=dict, description="Days by status and rows in all: written, not read."
    )
    runs: list[dict[str, Any]] = Field(default_factory=list, description="One summary a run.")
    days: dict[date, DayEntry] = Field(description="Each day's latest outcome, by ISO date.")


def parse_state(text: str) -> CheckpointState:
    """The state in a file's text; ValueError naming the fields at fault."""
    try:
        found = CheckpointFile.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(_problems(exc)) from None
    return CheckpointState(
        job=found.job,
        start=found.range.start,
        end=found.range.end,
        days={day: _record(entry) for day, entry in found.days.items()},
        runs=found.runs,
        warehouse=found.warehouse,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def dump_state(state: CheckpointState) -> str:
    """The file's text: compact JSON, days in order, encoded by pydantic's serializer.

    Built as plain data in the model's shape, not as model instances: validating every
    record on each write costs about 100 ms at 10,000 days, twice the encoding, and writes
    come every ``WRITE_INTERVAL_S`` during a run. The tests hold writer and model together
    (any state comes back from its file unchanged).
    """
    return to_json(
        {
            "schema_version": SCHEMA_VERSION,
            "job": state.job,
            "range": {"start": state.start, "end": state.end},
            "warehouse": state.warehouse,
            "created_at": state.created_at,
            "updated_at": state.updated_at,
            "stats": state.stats(),
            "runs": state.runs,
            "days": {day: _entry(state.days[day]) for day in sorted(state.days)},
        }
    ).decode()


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the file (docs/schemas/checkpoint.v<N>.schema.json)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **CheckpointFile.model_json_schema(),
    }


def _record(entry: DayEntry) -> DayRecord:
    cost = None
    if entry.bytes_billed is not None:
        cost = JobCost(entry.bytes_processed or 0, entry.bytes_billed, entry.slot_ms or 0)
    return DayRecord(
        status=entry.status,
        rows=entry.rows,
        units=entry.units,
        attempts=entry.attempts,
        duration_s=entry.duration_s,
        started_at=_aware(entry.started_at),
        finished_at=_aware(entry.finished_at),
        coverage=entry.coverage,
        error=entry.error,
        inputs=None
        if entry.inputs is None
        else {name: Fingerprint(fp.rows, fp.digest) for name, fp in entry.inputs.items()},
        version=entry.version,
        cost=cost,
    )


def _entry(record: DayRecord) -> dict[str, Any]:
    """A ``DayEntry``'s fields, empty ones left out."""
    entry: dict[str, Any] = {
        "status": record.status,
        "rows": record.rows,
        "units": record.units,
        "attempts": record.attempts,
        "duration_s": round(record.duration_s, 3),
    }
    if record.started_at is not None:
        entry["started_at"] = record.started_at
    if record.finished_at is not None:
        entry["finished_at"] = record.finished_at
    if record.coverage is not None:
        entry["coverage"] = round(record.coverage, 4)
    if record.error is not None:
        entry["error"] = record.error
    if record.inputs is not None:
        entry["inputs"] = {
            name: {"rows": fp.rows, "digest": fp.digest} for name, fp in record.inputs.items()
        }
    if record.version is not None:
        entry["version"] = record.version
    if record.cost is not None:
        entry["bytes_processed"] = record.cost.bytes_processed
        entry["bytes_billed"] = record.cost.bytes_billed
        entry["slot_ms"] = record.cost.slot_ms
    return entry


def _aware(moment: datetime | None) -> datetime | None:
    """Files of early versions hold naive UTC moments."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _problems(error: ValidationError) -> str:
    """``day 2022-01-03: attempts is 'x' (Input should be a valid integer); +2 more``."""
    problems = [_problem(detail) for detail in error.errors(include_url=False)]
    more = len(problems) - SHOWN_PROBLEMS
    return "; ".join(problems[:SHOWN_PROBLEMS]) + (f"; +{more} more" if more > 0 else "")


def _problem(detail: ErrorDetails) -> str:
    if detail["type"] == "json_invalid":
        return detail["msg"]
    where, loc = "", [str(part) for part in detail["loc"]]
    if len(loc) >= 2 and loc[0] == "days":
        where, loc = f"day {loc[1]}: ", loc[2:]
        name = "the record" if not loc else "the date" if loc == ["[key]"] else ".".join(loc)
    else:
        name = ".".join(loc) or "the file"
    if detail["type"] == "missing":
        return f"{where}{name} is missing"
    shown = repr(detail["input"])
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return f"{where}{name} is {shown} ({detail['msg']})"


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
