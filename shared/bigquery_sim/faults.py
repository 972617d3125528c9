"""Injected job failures, as BigQuery reports them in a job's ``status.errorResult``.

* ``backendError``: a transient internal failure; retry
  (https://cloud.google.com/bigquery/docs/error-messages).
* ``jobRateLimitExceeded``: the job hit a per-job rate limit; retry after a backoff
  (the client resubmits it, google-cloud-bigquery ``retry.py`` job_retry_reasons).
* ``quotaExceeded``: a long-term quota is used up; "wait 10 minutes or longer"
  (https://cloud.google.com/bigquery/docs/troubleshoot-quotas#overview).
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass


class FaultReason(enum.Enum):
    BACKEND_ERROR = "backendError"
    JOB_RATE_LIMIT = "jobRateLimitExceeded"
    QUOTA_EXCEEDED = "quotaExceeded"

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    @property
    def status(self) -> int:
        return 500 if self is FaultReason.BACKEND_ERROR else 403


_MESSAGES = {
    FaultReason.BACKEND_ERROR: "Error encountered during execution. Retrying may solve the problem.",
    FaultReason.JOB_RATE_LIMIT: "Job exceeded rate limits: Your project exceeded quota for "
    "concurrent queries. For more information, see "
    "https://cloud.google.com/bigquery/docs/troubleshoot-quotas",
    FaultReason.QUOTA_EXCEEDED: "Quota exceeded: Your project exceeded quota for free query "
    "bytes scanned. For more information, see "
    "https://cloud.google.com/bigquery/docs/troubleshoot-quotas",
}


@dataclass(frozen=True)
class Fault:
    """Fail jobs with ``reason``: after ``after`` matching jobs, the next ``count`` ones,
    each with ``probability``. ``statement`` matches the job's ``statement`` label."""

    reason: FaultReason
    probability: float = 1.0
    after: int = 0
    count: int = 1
    statement: str | None = None


class FaultPlan:
    """Decides, job by job, which injected fault (if any) a job ends with."""

    def __init__(self, faults: tuple[Fault, ...] = (), seed: int = 0) -> None:
        self._faults = faults
        self._seen = [0] * len(faults)
        self._fired = [0] * len(faults)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def pick(self, statement: str | None) -> FaultReason | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.statement is not None and fault.statement != statement:
                    continue
                self._seen[index] += 1
                if self._seen[index] <= fault.after or self._fired[index] >= fault.count:
                    continue
                if self._rng.random() < fault.probability:
                    self._fired[index] += 1
                    return fault.reason
        return None
