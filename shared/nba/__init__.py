"""What is basketball: the raw NBA tables' schemas, ingest of vendor files, and sample data."""
