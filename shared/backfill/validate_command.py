"""``validate``: the job's checks over a range of its table, as a table; exit 1 on a failure."""

from __future__ import annotations

from shared.backfill.context import EXIT_FAILED, EXIT_OK, ValidateQuery
from shared.backfill.spec import JobSpec
from shared.warehouse.factory import open_warehouse


def validate_command(spec: JobSpec, query: ValidateQuery) -> int:
    warehouse = open_warehouse(query.warehouse, read_only=True)
    try:
        job = spec.make_job(warehouse)
        job.check_sources()
        job.check_written()
        table, passed = spec.validate(warehouse, query.start, query.end)
    finally:
        warehouse.close()
    print(table)
    return EXIT_OK if passed else EXIT_FAILED
