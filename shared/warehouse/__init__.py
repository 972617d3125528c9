"""Warehouses behind one small interface: embedded DuckDB and BigQuery."""
