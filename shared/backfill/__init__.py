"""The generic backfill engine: plans days, runs them, records them. Knows no domain."""
