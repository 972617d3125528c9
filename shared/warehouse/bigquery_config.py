"""BigQuery settings checked before they reach a request: project, location, datasets, job
name, byte cap and pace, each refused in one line naming its flag; and the credentials,
resolved once (Application Default Credentials, or anonymous ones against an emulator)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping

import google.auth
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import bigquery

from shared.errors import ConfigError
from shared.warehouse.bigquery_errors import (
    NO_CREDENTIALS,
)

logger = logging.getLogger(__name__)


# A pruned day reads a few hundred MB of raw partitions; an unpruned scan of the full
# play-by-play history reads many GiB (pitfall 3). 10 GiB caps a runaway job at about
# $0.06 on demand and fails it before any charge.
DEFAULT_MAXIMUM_BYTES_BILLED = 10 * 1024**3

# google-cloud-bigquery honours this variable: every request goes to that host instead.
EMULATOR_ENV = "BIGQUERY_EMULATOR_HOST"

# BigQuery project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter,
# not ending with a hyphen; legacy ones carry a "domain.com:" prefix.
_PROJECT = re.compile(r"^(?:[a-z0-9][a-z0-9.-]{0,252}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
_LOCATION = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,62}$")
_JOB_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_-]")

ClientFactory = Callable[[str, Credentials, "str | None"], bigquery.Client]

BIGQUERY_API = "https://bigquery.googleapis.com"


def default_client(project: str, credentials: Credentials, location: str | None) -> bigquery.Client:
    return bigquery.Client(project=project, credentials=credentials, location=location)


def default_credentials() -> Credentials:
    """Application Default Credentials, or the one-line fix when there are none; anonymous
    ones against an emulator (``BIGQUERY_EMULATOR_HOST``), which checks none."""
    emulator = os.environ.get(EMULATOR_ENV)
    if emulator:
        # A warning, so it shows even before the CLI configures logging: this is not BigQuery.
        logger.warning(
            "%s=%s: talking to that emulator with anonymous credentials", EMULATOR_ENV, emulator
        )
        return AnonymousCredentials()
    try:
        credentials, _ = google.auth.default(scopes=bigquery.Client.SCOPE)
    except auth_exceptions.DefaultCredentialsError as exc:
        raise ConfigError(NO_CREDENTIALS) from exc
    return credentials


# -- validation -------------------------------------------------------------------------


def checked_project(project: str) -> str:
    if not _PROJECT.match(project or ""):
        raise ConfigError(
            f"--project {project!r} is not a BigQuery project id (6-30 lowercase letters, digits "
            "or hyphens, starting with a letter, optionally prefixed by 'domain:')"
        )
    return project


def checked_location(location: str | None) -> str | None:
    if location is not None and not _LOCATION.match(location):
        raise ConfigError(
            f"--location {location!r} is not a BigQuery location, e.g. US or us-west2"
        )
    return location


def checked_datasets(
    datasets: Mapping[str, str] | None, flags: Mapping[str, str]
) -> dict[str, str]:
    """Dataset as the SQL names it -> the dataset to use: every declared one (``flags``' keys),
    identity unless renamed; names checked before they enter SQL."""
    resolved = {name: name for name in flags}
    for name, actual in (datasets or {}).items():
        if flags and name not in flags:
            raise ConfigError(f"unknown dataset {name!r}: expected one of {', '.join(flags)}")
        if not _DATASET.match(actual or ""):
            raise ConfigError(
                f"{flags.get(name, name)} {actual!r} is not a BigQuery dataset name "
                "(letters, digits and underscores, at most 1024)"
            )
        resolved[name] = actual
    return resolved


def checked_job_name(job_name: str) -> str:
    if not _JOB_NAME.match(job_name or ""):
        raise ConfigError(
            f"job name {job_name!r} must be letters, digits, '_' or '-' (at most 100)"
        )
    return job_name


def checked_max_bytes(maximum_bytes_billed: int | None) -> int:
    if maximum_bytes_billed is None:
        return DEFAULT_MAXIMUM_BYTES_BILLED
    if maximum_bytes_billed < 1:
        raise ConfigError(f"--max-bytes-billed must be positive (got {maximum_bytes_billed})")
    return maximum_bytes_billed


def checked_pace(table_updates_per_10s: float | None) -> float | None:
    if table_updates_per_10s is not None and table_updates_per_10s <= 0:
        raise ConfigError(
            f"--pace-table-updates must be positive or 'off' (got {table_updates_per_10s:g})"
        )
    return table_updates_per_10s


def label_value(value: str) -> str:
    """A label value BigQuery accepts: lowercase letters, digits, '_' and '-', at most 63."""
    return _LABEL_UNSAFE.sub("_", value.lower())[:63]
