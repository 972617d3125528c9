"""A simulated BigQuery at the REST boundary, its query results computed by DuckDB.

Used by the tests (in process, as ``client._connection.api_request``) and by ``make bench``
(over HTTP, through ``BIGQUERY_EMULATOR_HOST``). What is simulated and what is not:
docs/architecture.md, "The simulated BigQuery".
"""

from tests.doubles.bigquery_sim.clock import Latency
from tests.doubles.bigquery_sim.faults import Fault, FaultPlan, FaultReason, HttpFault, HttpFaults
from tests.doubles.bigquery_sim.quotas import Limits
from tests.doubles.bigquery_sim.simulator import BigQuerySimulator, SimConfig, SimStats

__all__ = [
    "BigQuerySimulator",
    "Fault",
    "FaultPlan",
    "FaultReason",
    "HttpFault",
    "HttpFaults",
    "Latency",
    "Limits",
    "SimConfig",
    "SimStats",
]
