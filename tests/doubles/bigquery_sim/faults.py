"""Injected failures: of jobs, as BigQuery reports them in a job's ``status.errorResult``,
and of HTTP requests, as a client meets them on the wire.

* ``backendError``: a transient internal failure; retry
  (https://cloud.google.com/bigquery/docs/error-messages).
* ``jobRateLimitExceeded``: the job hit a per-job rate limit; retry after a backoff
  (the client resubmits it, google-cloud-bigquery ``retry.py`` job_retry_reasons).
* ``quotaExceeded``: a long-term quota is used up; "wait 10 minutes or longer"
  (https://cloud.google.com/bigquery/docs/troubleshoot-quotas#overview).

HTTP faults (``HttpFaults``, served by ``http.py``), each on a request drawn at ``rate``:

* ``BEFORE``: 503 ``backendError`` before the request is acted on; retrying is safe.
* ``AFTER``: the request is acted on (the job inserted, the partition deleted), then 503: the
  response is lost, so a retried jobs.insert meets 409 ``duplicate`` for its own job id. Both
  are the 5xx "retry with exponential backoff" of
  https://cloud.google.com/bigquery/docs/error-messages#errortable (backendError: "This error
  returns when there is a temporary server failure such as a network connection problem or a
  server overload"; the job may or may not have been created, hence jobs.get on a conflict,
  https://cloud.google.com/bigquery/docs/error-messages#errortable "duplicate").
* ``STALL``: no answer for ``stall_s`` real seconds, then acted on and answered (to a client
  that gave up after its own timeout, as a lost TCP connection or a stuck front end does).
"""

from __future__ import annotations

import collections
import enum
import random
import threading
from dataclasses import dataclass

from tests.doubles.bigquery_sim.rest import ApiError


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


class HttpFault(enum.Enum):
    BEFORE = "before"
    AFTER = "after"
    STALL = "stall"


BACKEND_ERROR_503 = ApiError(
    503, "backendError", "Error encountered during execution. Retrying may solve the problem."
)


@dataclass(frozen=True)
class HttpFaults:
    """Fail ``rate`` of all HTTP requests, each with one of ``kinds`` (drawn evenly), at most
    ``limit`` in all, from a generator seeded with ``seed`` (a run's faults are reproducible up
    to thread timing)."""

    rate: float = 0.0
    kinds: tuple[HttpFault, ...] = (HttpFault.BEFORE, HttpFault.AFTER)
    stall_s: float = 0.0
    seed: int = 0
    limit: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0 or not self.kinds:
            raise ValueError(f"rate must be within [0, 1] with a fault kind (got {self.rate})")


class HttpFaultPlan:
    """Decides, request by request, which HTTP fault (if any) it meets; counts them."""

    def __init__(self, faults: HttpFaults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()
        self.fired: collections.Counter[HttpFault] = collections.Counter()

    def pick(self) -> HttpFault | None:
        if self.faults.rate <= 0:
            return None
        with self._lock:
            limit = self.faults.limit
            if limit is not None and self.fired.total() >= limit:
                return None
            if self._rng.random() >= self.faults.rate:
                return None
            fault = self.faults.kinds[self._rng.randrange(len(self.faults.kinds))]
            self.fired[fault] += 1
            return fault
