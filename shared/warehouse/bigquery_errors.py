"""How BigQuery's errors map to ours: which are worth a retry, which stop the run, which
are the user's to fix. What is retryable is data (frozensets of reasons, a tuple of
exception types), as in google-cloud-bigquery's own retry.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

from shared.errors import BackfillError, ConfigError, WarehouseError

_MAX_MESSAGE = 400
_DATASET_IN_MESSAGE = re.compile(r"Dataset [^\s:]+:([A-Za-z0-9_]+)")

# Reasons the client's DEFAULT_RETRY / DEFAULT_JOB_RETRY already retry (retry.py), plus
# jobRateLimitExceeded on jobs it cannot resubmit. Seeing one here means it outlasted the
# client's deadline; our own backoff may still get through. rateLimitExceeded covers
# "Exceeded rate limits: too many partitioned table update operations for this table".
TRANSIENT_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "jobRateLimitExceeded",
        "backendError",
        "internalError",
        "jobBackendError",
        "jobInternalError",
        "badGateway",
    }
)
# No further day can succeed until the quota refills.
STOP_RUN_REASONS = frozenset({"quotaExceeded"})
# The caller's identity or project is not allowed to do this: a ConfigError.
PERMISSION_REASONS = frozenset({"accessDenied", "billingNotEnabled"})
# Never transient, whatever the HTTP status: invalidQuery also covers "Could not serialize
# access" and resourcesExceeded "Too many DML statements outstanding" (pitfall 5; no DML
# here), bytesBilledLimitExceeded a scan over maximum_bytes_billed, stopped a cancelled job.
PERMANENT_REASONS = frozenset(
    {
        "invalidQuery",
        "invalid",
        "resourcesExceeded",
        "bytesBilledLimitExceeded",
        "stopped",
        "duplicate",
    }
)
_NEVER_TRANSIENT_REASONS = PERMANENT_REASONS | STOP_RUN_REASONS | PERMISSION_REASONS | {"notFound"}
# Without a known reason, the HTTP status decides: throttling, 5xx and lost connections.
TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    api_exceptions.TooManyRequests,
    api_exceptions.InternalServerError,
    api_exceptions.BadGateway,
    api_exceptions.ServiceUnavailable,
    api_exceptions.GatewayTimeout,
    api_exceptions.DeadlineExceeded,
    auth_exceptions.TransportError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ConnectionError,
    TimeoutError,
)
# What a call to the client can raise that is not a bug of ours.
CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    api_exceptions.GoogleAPIError,
    auth_exceptions.GoogleAuthError,
    requests.exceptions.RequestException,
    ConnectionError,
    TimeoutError,
)

NO_CREDENTIALS = (
    "no Google credentials found: run `gcloud auth application-default login` "
    "or set GOOGLE_APPLICATION_CREDENTIALS"
)
REJECTED_CREDENTIALS = (
    "Google credentials were rejected or have expired: run `gcloud auth application-default login` "
    "or set GOOGLE_APPLICATION_CREDENTIALS"
)
QUOTA_EXCEEDED = (
    "BigQuery quota exceeded: wait at least 10 minutes before resuming, or lower --workers"
)
ROLES_NEEDED = (
    "the caller needs roles/bigquery.jobUser on the project (bigquery.jobs.create), "
    "roles/bigquery.dataViewer on the raw dataset and roles/bigquery.dataEditor on the "
    "analytics dataset"
)


def error_reason(exc: BaseException) -> str | None:
    """The first structured reason of a Google API error (``errors=[{"reason": ...}]``)."""
    errors: Any = getattr(exc, "errors", None)
    try:
        reason = errors[0]["reason"]
    except (IndexError, KeyError, TypeError):
        return None
    return reason if isinstance(reason, str) else None


def is_transient(exc: BaseException) -> bool:
    """Whether the same call may succeed after a backoff (pure; see TRANSIENT_REASONS)."""
    if isinstance(exc, WarehouseError):
        return exc.transient
    if isinstance(exc, api_exceptions.RetryError):
        return exc.cause is None or is_transient(exc.cause)
    reason = error_reason(exc)
    if reason in TRANSIENT_REASONS:
        return True
    if reason in _NEVER_TRANSIENT_REASONS:
        return False
    return isinstance(exc, TRANSIENT_TYPES)


def classify(
    exc: BaseException, statement: str, *, dataset_flags: Mapping[str, str] | None = None
) -> BackfillError:
    """Maps a client error to a one-line ConfigError or WarehouseError (pure, for tests).

    ``dataset_flags`` maps actual dataset names to the flag that sets them, so a
    missing dataset names its fix.
    """
    message = first_line(exc)
    if isinstance(exc, auth_exceptions.DefaultCredentialsError):
        return ConfigError(NO_CREDENTIALS)
    if isinstance(exc, auth_exceptions.RefreshError | api_exceptions.Unauthorized):
        return ConfigError(REJECTED_CREDENTIALS)
    if isinstance(exc, api_exceptions.RetryError) and exc.cause is not None:
        inner = classify(exc.cause, statement, dataset_flags=dataset_flags)
        if isinstance(inner, ConfigError) or getattr(inner, "stop_run", False):
            return inner
        return WarehouseError(str(inner), transient=True)
    reason = error_reason(exc)
    if reason in STOP_RUN_REASONS:
        return WarehouseError(f"{QUOTA_EXCEEDED} ({statement}: {message})", stop_run=True)
    if reason == "bytesBilledLimitExceeded":
        return WarehouseError(
            f"{statement}: query would scan more than --max-bytes-billed allows; check partition "
            f"pruning ({message})"
        )
    if reason == "stopped":
        return WarehouseError(f"{statement}: job cancelled ({message})")
    if reason in PERMISSION_REASONS or (
        reason is None and isinstance(exc, api_exceptions.Forbidden)
    ):
        return ConfigError(f"BigQuery permission denied: {message}; {ROLES_NEEDED}")
    if reason in {"notFound", None} and isinstance(exc, api_exceptions.NotFound):
        missing = _missing_project_or_dataset(message, dataset_flags or {})
        if missing is not None:
            return missing
    return WarehouseError(f"{statement}: {message}", transient=is_transient(exc))


def _missing_project_or_dataset(
    message: str, dataset_flags: Mapping[str, str]
) -> ConfigError | None:
    """A ConfigError naming the flag to fix, or None for a missing table or job (the job's call)."""
    lowered = message.lower()
    if "not found: project" in lowered:
        return ConfigError(f"BigQuery {message}: check --project")
    if "not found: dataset" in lowered:
        found = _DATASET_IN_MESSAGE.search(message)
        flag = dataset_flags.get(found.group(1)) if found else None
        fix = f"create it or fix {flag or '--raw-dataset / --analytics-dataset'}"
        if "location" in lowered:
            fix += " or --location"
        return ConfigError(f"BigQuery {message}: {fix}")
    return None


# What a request meets when nothing answers: refused, unresolved or timed-out connections.
_UNREACHABLE_TYPES: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    auth_exceptions.TransportError,
    ConnectionError,
    TimeoutError,
)
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def unreachable(exc: BaseException, endpoint: str) -> ConfigError | None:
    """A one-line ConfigError naming ``endpoint`` and the cause when ``exc`` (or the last error
    of a retry that gave up) says nothing answers there; None for any other error."""
    cause = exc.cause if isinstance(exc, api_exceptions.RetryError) else exc
    if not isinstance(cause, _UNREACHABLE_TYPES):
        return None
    found = _ERRNO_TEXT.search(str(cause))
    why = found.group(1).strip() if found else type(cause).__name__
    return ConfigError(
        f"cannot reach BigQuery at {endpoint}: {why}; check the network "
        "(or BIGQUERY_EMULATOR_HOST when pointing at an emulator)"
    )


def first_line(exc: BaseException) -> str:
    """One line of the error, without the client's job footer (no credentials ever appear)."""
    text = str(getattr(exc, "message", None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    job = getattr(exc, "query_job", None)
    if job is not None and getattr(job, "job_id", None):
        line = f"{line} (job {job.job_id})"
    return line[:_MAX_MESSAGE]
