"""Running as a Cloud Run job: which execution and task attempt this process is, a run id the
logs carry, and log records as Cloud Logging's structured JSON (one object per line).

Cloud Run sets ``CLOUD_RUN_JOB``, ``CLOUD_RUN_EXECUTION``, ``CLOUD_RUN_TASK_INDEX`` and
``CLOUD_RUN_TASK_ATTEMPT`` (0 on the first attempt) in a job's container (the container
runtime contract). A JSON line written to stderr becomes one log entry: ``severity`` and
``message`` are read as the entry's own, ``logging.googleapis.com/labels`` as its labels, the
rest lands in ``jsonPayload`` where a filter can use it (``jsonPayload.day="2024-01-12"``).
"""

from __future__ import annotations

import json
import logging
import os
import traceback
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime

JOB_ENV = "CLOUD_RUN_JOB"
EXECUTION_ENV = "CLOUD_RUN_EXECUTION"
TASK_INDEX_ENV = "CLOUD_RUN_TASK_INDEX"
TASK_ATTEMPT_ENV = "CLOUD_RUN_TASK_ATTEMPT"

LOG_FORMATS = ("text", "json")
LABELS = "logging.googleapis.com/labels"

# Python's levels to Cloud Logging's LogSeverity names; a level between two takes the lower.
_SEVERITIES = (
    (logging.CRITICAL, "CRITICAL"),
    (logging.ERROR, "ERROR"),
    (logging.WARNING, "WARNING"),
    (logging.INFO, "INFO"),
    (logging.DEBUG, "DEBUG"),
)


def on_cloud_run(environ: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if environ is None else environ).get(JOB_ENV))


def default_log_format(environ: Mapping[str, str] | None = None) -> str:
    """``json`` in a Cloud Run job (its logs are read by Cloud Logging), else ``text``."""
    return "json" if on_cloud_run(environ) else "text"


def cloud_run_fields(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """What the run record says of the Cloud Run execution and task attempt; {} elsewhere.

    >>> cloud_run_fields({"CLOUD_RUN_JOB": "pgs", "CLOUD_RUN_EXECUTION": "pgs-x7k2p",
    ...                   "CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_ATTEMPT": "1"})
    {'cloud_run': {'job': 'pgs', 'execution': 'pgs-x7k2p', 'task_index': 0, 'task_attempt': 1}}
    """
    env = os.environ if environ is None else environ
    if not on_cloud_run(env):
        return {}
    return {
        "cloud_run": {
            "job": env[JOB_ENV],
            "execution": env.get(EXECUTION_ENV),
            "task_index": _number(env.get(TASK_INDEX_ENV)),
            "task_attempt": _number(env.get(TASK_ATTEMPT_ENV)),
        }
    }


def new_run_id(environ: Mapping[str, str] | None = None) -> str:
    """One run's id: the execution, task and attempt on Cloud Run (``pgs-x7k2p-t0-a1``: a
    retried task is another run), else 12 random hex digits."""
    env = os.environ if environ is None else environ
    execution = env.get(EXECUTION_ENV)
    if on_cloud_run(env) and execution:
        task = env.get(TASK_INDEX_ENV) or "0"
        attempt = env.get(TASK_ATTEMPT_ENV) or "0"
        return f"{execution}-t{task}-a{attempt}"
    return uuid.uuid4().hex[:12]


def _number(value: str | None) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def severity(levelno: int) -> str:
    return next((name for level, name in _SEVERITIES if levelno >= level), "DEFAULT")


def record_days(record: logging.LogRecord) -> list[date]:
    """The days a record names: its ``day`` attribute (``extra={"day": d}``), else the dates
    among its arguments (``logger.info("✓ %s: ...", result.day, ...)``)."""
    explicit = getattr(record, "day", None)
    if isinstance(explicit, date):
        return [explicit]
    args = record.args if isinstance(record.args, tuple) else ()
    days: list[date] = []
    for arg in args:
        if isinstance(arg, date) and not isinstance(arg, datetime) and arg not in days:
            days.append(arg)
    return days


class JsonFormatter(logging.Formatter):
    """A record as one line of Cloud Logging structured JSON.

    ``{"severity": "INFO", "message": "✓ 2024-01-12: 264 records, ...", "time": "...+00:00",
    "run_id": "pgs-x7k2p-t0-a1", "job": "player_game_summary", "day": "2024-01-12",
    "logger": "shared.backfill.runner", "thread": "backfill_0",
    "logging.googleapis.com/labels": {"run_id": "...", "job": "..."}}``. A record naming two
    days (a batch or a range: its first and last) has ``days`` instead of ``day``. A traceback
    is part of ``message``, where Error Reporting looks for it.
    """

    def __init__(self, run_id: str, job: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.job = job

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{''.join(traceback.format_exception(*record.exc_info))}"
        elif record.exc_text:
            message = f"{message}\n{record.exc_text}"
        entry: dict[str, object] = {
            "severity": severity(record.levelno),
            "message": message.rstrip("\n"),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
            "run_id": self.run_id,
            "job": self.job,
        }
        days = record_days(record)
        if len(days) == 1:
            entry["day"] = days[0].isoformat()
        elif days:
            entry["days"] = [day.isoformat() for day in days]
        entry["logger"] = record.name
        entry["thread"] = record.threadName
        entry[LABELS] = {"run_id": self.run_id, "job": self.job}
        return json.dumps(entry, ensure_ascii=False, default=str)
