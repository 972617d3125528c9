"""Code shared by every backfill job: the engine, the warehouses, sample data."""
