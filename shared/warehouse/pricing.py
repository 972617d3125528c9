"""What BigQuery charges on demand for bytes, without importing its client (the engine's
summary and status price a run's recorded bytes; DuckDB runs record none)."""

from __future__ import annotations

import os

from shared.errors import ConfigError

# On-demand price per TiB scanned (domain.md; cloud.google.com/bigquery/pricing: "from
# $6.25 per TiB", first TiB a month free). Regional prices differ: override with the env.
ON_DEMAND_USD_PER_TIB = 6.25
PRICE_ENV = "BACKFILL_BQ_USD_PER_TIB"
_TIB = 1024**4


def usd_per_tib() -> float:
    """The on-demand price per TiB: ``$BACKFILL_BQ_USD_PER_TIB`` or ON_DEMAND_USD_PER_TIB."""
    raw = os.environ.get(PRICE_ENV)
    if raw is None or not raw.strip():
        return ON_DEMAND_USD_PER_TIB
    try:
        price = float(raw)
    except ValueError:
        price = -1.0
    if price < 0:
        raise ConfigError(f"{PRICE_ENV}={raw!r} is not a price in USD per TiB, e.g. 6.25")
    return price


def estimate_cost_usd(bytes_processed: int) -> float:
    """On-demand cost of scanning ``bytes_processed`` (ignores the free TiB and the 10 MB
    minimum per table): 1 TiB at $6.25 is $6.25; 300 MiB is about $0.0018.
    """
    return bytes_processed / _TIB * usd_per_tib()
